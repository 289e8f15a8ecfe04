// BLAKE2s-256 (RFC 7693 Appendix B) and keyed BLAKE2s with 16-byte output.
#include "crypto/blake2s.h"

#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "core/bytes.h"

using namespace tether;
using namespace tether::crypto;

BOOST_AUTO_TEST_SUITE(blake2s)

BOOST_AUTO_TEST_CASE(rfc7693_appendix_b_abc) {
  BOOST_TEST(to_hex(blake2s_256(ByteView(std::string_view("abc")))) ==
             "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

// The BLAKE2 reference implementation's empty-message digest (also
// python3 hashlib.blake2s(b"").hexdigest()).
BOOST_AUTO_TEST_CASE(empty_message) {
  BOOST_TEST(to_hex(blake2s_256(ByteView())) ==
             "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
}

// Hashing in parts equals hashing the concatenation, and finish() resets.
BOOST_AUTO_TEST_CASE(incremental_equals_one_shot) {
  Blake2sHasher hasher;
  hasher.update(ByteView(std::string_view("a"))).update(ByteView()).update(ByteView(std::string_view("bc")));
  BOOST_TEST(to_hex(hasher.finish()) == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  hasher.update(ByteView(std::string_view("abc")));
  BOOST_TEST(to_hex(hasher.finish()) == "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  BOOST_TEST(to_hex(blake2s_256(ByteView(std::string_view("ab")), ByteView(std::string_view("c")))) ==
             "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

// Keyed BLAKE2s with a 16-byte digest, WireGuard's MAC. Expected values were
// computed independently with python3's hashlib:
//   hashlib.blake2s(data, digest_size=16, key=key).hexdigest()
// (the first also matches `openssl mac -macopt size:16 ... BLAKE2SMAC`).
// A truncated 32-byte digest would differ: the length is a parameter of the
// hash, which is why the 16-byte size must reach OpenSSL.
BOOST_AUTO_TEST_CASE(keyed_16_byte_mac_matches_python_hashlib) {
  Bytes key16(16);
  for (std::size_t i = 0; i < key16.size(); ++i) key16[i] = static_cast<std::uint8_t>(i);
  BOOST_TEST(to_hex(blake2s_mac(key16, ByteView(std::string_view("abc")))) ==
             "75296c2d2c0f51210b383f386bc8b1ff");

  Bytes key32(32);
  for (std::size_t i = 0; i < key32.size(); ++i) key32[i] = static_cast<std::uint8_t>(i);
  BOOST_TEST(to_hex(blake2s_mac(key32, ByteView())) == "9536f9b267655743dee97b8a670f9f53");
  BOOST_TEST(to_hex(blake2s_mac(key32, ByteView(std::string_view("mac1----")))) ==
             "009514d37a2d3cb5c78a5adf4defcb92");
}

BOOST_AUTO_TEST_CASE(keyed_mac_rejects_bad_key_sizes) {
  BOOST_CHECK_THROW(blake2s_mac(ByteView(), ByteView()), std::invalid_argument);
  BOOST_CHECK_THROW(blake2s_mac(Bytes(33), ByteView()), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
