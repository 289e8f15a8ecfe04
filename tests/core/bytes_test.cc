#include <boost/test/unit_test.hpp>

#include "core/bytes.h"

using namespace tether;

BOOST_AUTO_TEST_SUITE(bytes)

BOOST_AUTO_TEST_CASE(hex_round_trip) {
  Bytes b = hex_bytes("00 01 fe FF");
  BOOST_TEST(b.size() == 4u);
  BOOST_TEST(to_hex(b) == "0001feff");
  Bytes out;
  BOOST_TEST(!from_hex("abc", out));
  BOOST_TEST(!from_hex("zz", out));
}

BOOST_AUTO_TEST_CASE(endian_helpers) {
  std::uint8_t buf[8];
  store_le32(buf, 0x04030201);
  BOOST_TEST(to_hex(ByteView(buf, 4)) == "01020304");
  BOOST_TEST(load_le32(buf) == 0x04030201u);
  store_be64(buf, 0x0102030405060708ULL);
  BOOST_TEST(to_hex(ByteView(buf, 8)) == "0102030405060708");
  store_le64(buf, 0x0102030405060708ULL);
  BOOST_TEST(load_le64(buf) == 0x0102030405060708ULL);
  BOOST_TEST(load_be16(ByteView(hex_bytes("abcd")).data()) == 0xabcd);
}

BOOST_AUTO_TEST_CASE(subview_clamps) {
  Bytes b = hex_bytes("0102030405");
  ByteView v(b);
  BOOST_TEST(to_hex(v.subview(1, 2)) == "0203");
  BOOST_TEST(v.subview(4, 10).size() == 1u);
  BOOST_TEST(v.subview(9).size() == 0u);
  BOOST_TEST((v.subview(0, 2) == ByteView(hex_bytes("0102"))));
}

BOOST_AUTO_TEST_SUITE_END()
