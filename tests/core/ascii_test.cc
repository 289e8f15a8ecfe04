// core/ascii: case folding of ASCII letters only, whatever the locale.

#include <boost/test/unit_test.hpp>

#include "core/ascii.h"

using namespace tether;

BOOST_AUTO_TEST_SUITE(ascii)

BOOST_AUTO_TEST_CASE(folds_letters_only) {
  BOOST_TEST(ascii_lower("MAIL From:<A@B.Example>") == "mail from:<a@b.example>");
  BOOST_TEST(ascii_upper("auth plain-1@[x]") == "AUTH PLAIN-1@[X]");
  BOOST_TEST(ascii_lower(std::string_view()) == "");
  // '@' and '[' sit next to 'A' and 'Z'; they are not letters.
  BOOST_TEST(ascii_lower('@') == '@');
  BOOST_TEST(ascii_lower('[') == '[');
  BOOST_TEST(ascii_upper('`') == '`');
  BOOST_TEST(ascii_upper('{') == '{');
  // Bytes of UTF-8 text stay as they are: "É" is not "é".
  BOOST_TEST(ascii_lower("\xc3\x89") == "\xc3\x89");
  static_assert(ascii_lower('Q') == 'q' && ascii_upper('q') == 'Q');
}

BOOST_AUTO_TEST_CASE(compares_ignoring_case) {
  BOOST_TEST(ascii_iequals("EHLO", "ehlo"));
  BOOST_TEST(ascii_iequals("", ""));
  BOOST_TEST(!ascii_iequals("EHLO", "EHL"));
  BOOST_TEST(!ascii_iequals("@", "`"));  // differ by the bit that folds case, yet not letters
  BOOST_TEST(ascii_istarts_with("FROM:<a@b>", "from:"));
  BOOST_TEST(ascii_istarts_with("IPv6:2001:db8::1", "ipv6:"));
  BOOST_TEST(ascii_istarts_with("abc", ""));
  BOOST_TEST(!ascii_istarts_with("fro", "from:"));
  BOOST_TEST(!ascii_istarts_with("TO:<a@b>", "from:"));
}

BOOST_AUTO_TEST_SUITE_END()
