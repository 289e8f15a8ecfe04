// TAI64N timestamps as WireGuard sends them.
#include "crypto/tai64n.h"

#include <boost/test/unit_test.hpp>

#include "core/bytes.h"

using namespace tether;
using namespace tether::crypto;

BOOST_AUTO_TEST_SUITE(tai64n)

// 2023-11-14T22:13:20.123456789Z: 1700000000 s = 0x6553f100, so the label is
// 0x400000006553f10a; 123456789 ns = 0x075bcd15.
BOOST_AUTO_TEST_CASE(known_value_full_precision) {
  const std::int64_t ns = 1'700'000'000'123'456'789LL;
  BOOST_TEST(to_hex(tai64n_from_unix_ns(ns, Tai64nWhitening::none)) == "400000006553f10a075bcd15");
  BOOST_TEST(tai64n_to_unix_ns(tai64n_from_unix_ns(ns, Tai64nWhitening::none)) == ns);
}

BOOST_AUTO_TEST_CASE(epoch_and_before) {
  BOOST_TEST(to_hex(tai64n_from_unix_ns(0, Tai64nWhitening::none)) == "400000000000000a00000000");
  // One nanosecond before 1970: previous second, 999999999 (0x3b9ac9ff) ns.
  BOOST_TEST(to_hex(tai64n_from_unix_ns(-1, Tai64nWhitening::none)) ==
             "4000000000000009"
             "3b9ac9ff");
  BOOST_TEST(tai64n_to_unix_ns(tai64n_from_unix_ns(-1, Tai64nWhitening::none)) == -1);
}

// WireGuard whitening clears the low 24 bits of the nanoseconds:
// 0x075bcd15 & ~0xffffff = 0x07000000. It is the default.
BOOST_AUTO_TEST_CASE(wireguard_whitening_rounds_down_to_2_pow_24_ns) {
  const std::int64_t ns = 1'700'000'000'123'456'789LL;
  BOOST_TEST(to_hex(tai64n_from_unix_ns(ns, Tai64nWhitening::wireguard)) == "400000006553f10a07000000");
  BOOST_TEST(to_hex(tai64n_from_unix_ns(ns)) == "400000006553f10a07000000");
  // Two times within one 2^24 ns bucket are indistinguishable...
  const std::int64_t bucket_start = 1'700'000'000'000'000'000LL + 5 * 0x1000000LL;
  BOOST_TEST(to_hex(tai64n_from_unix_ns(bucket_start)) ==
             to_hex(tai64n_from_unix_ns(bucket_start + 0xffffff)));
  // ...and the next bucket is strictly newer.
  BOOST_TEST(
      tai64n_is_newer(tai64n_from_unix_ns(bucket_start + 0x1000000), tai64n_from_unix_ns(bucket_start)));
}

// Initiations at least 20 ms apart (WireGuard's rate limit) always get
// strictly increasing whitened stamps, also across second boundaries.
BOOST_AUTO_TEST_CASE(twenty_ms_apart_is_always_newer) {
  std::int64_t t = 1'700'000'000'000'000'000LL - 7'000'000;
  Tai64n previous = tai64n_from_unix_ns(t);
  for (int i = 0; i < 200; ++i) {
    t += 20'000'000;
    const Tai64n next = tai64n_from_unix_ns(t);
    BOOST_TEST(tai64n_is_newer(next, previous));
    previous = next;
  }
}

BOOST_AUTO_TEST_CASE(is_newer_is_strict_and_ordered) {
  const Tai64n a = tai64n_from_unix_ns(1'000'000'000LL, Tai64nWhitening::none);
  const Tai64n b = tai64n_from_unix_ns(1'000'000'001LL, Tai64nWhitening::none);
  const Tai64n c = tai64n_from_unix_ns(2'000'000'000LL, Tai64nWhitening::none);
  BOOST_TEST(!tai64n_is_newer(a, a));
  BOOST_TEST(tai64n_is_newer(b, a));
  BOOST_TEST(!tai64n_is_newer(a, b));
  BOOST_TEST(tai64n_is_newer(c, b));  // seconds outweigh nanoseconds
  BOOST_TEST(tai64n_is_newer(a, tai64n_from_unix_ns(-5, Tai64nWhitening::none)));
}

BOOST_AUTO_TEST_SUITE_END()
