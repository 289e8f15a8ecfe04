#include "crypto/constant_time.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "core/bytes.h"

using namespace tether;
using namespace tether::crypto;

BOOST_AUTO_TEST_SUITE(constant_time)

BOOST_AUTO_TEST_CASE(equality) {
  const Bytes a = hex_bytes("00112233445566778899aabbccddeeff");
  Bytes b = a;
  BOOST_TEST(constant_time_equal(a, b));
  b[15] ^= 1;
  BOOST_TEST(!constant_time_equal(a, b));
  b = a;
  b[0] ^= 0x80;
  BOOST_TEST(!constant_time_equal(a, b));
  BOOST_TEST(!constant_time_equal(a, ByteView(a).subview(0, 15)));  // lengths differ
  BOOST_TEST(constant_time_equal(ByteView(), ByteView()));
}

BOOST_AUTO_TEST_CASE(wipe) {
  Bytes secret(32, 0xab);
  secure_wipe(secret);
  for (std::uint8_t byte : secret) BOOST_TEST(byte == 0);

  std::array<std::uint8_t, 4> key{1, 2, 3, 4};
  secure_wipe(key);
  BOOST_TEST(to_hex(key) == "00000000");

  std::string password = "correct horse battery staple";
  const char* storage = password.data();
  const std::size_t capacity = password.capacity();
  secure_wipe(password);
  BOOST_TEST(password.empty());
  BOOST_TEST(password.data() == storage);  // same buffer, now zeroed
  for (std::size_t i = 0; i < capacity; ++i) BOOST_TEST(storage[i] == '\0');
}

BOOST_AUTO_TEST_SUITE_END()
