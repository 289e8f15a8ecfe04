// CSV fields as RFC 4180 quotes them, and JSON strings that stay valid JSON
// whatever bytes a capture puts in them.

#include <boost/test/unit_test.hpp>

#include "core/table_text.h"

namespace tether {
namespace {

std::string json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

BOOST_AUTO_TEST_SUITE(table_text)

BOOST_AUTO_TEST_CASE(csv_quotes_only_what_needs_it) {
  BOOST_TEST(csv_field("plain text") == "plain text");
  BOOST_TEST(csv_field("") == "");
  BOOST_TEST(csv_field("a,b") == "\"a,b\"");
  BOOST_TEST(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  BOOST_TEST(csv_field("two\nlines") == "\"two\nlines\"");
  BOOST_TEST(csv_field("cr\r") == "\"cr\r\"");
}

BOOST_AUTO_TEST_CASE(json_escapes_quotes_backslashes_and_controls) {
  BOOST_TEST(json("250 OK") == "\"250 OK\"");
  BOOST_TEST(json("a\"b\\c") == "\"a\\\"b\\\\c\"");
  BOOST_TEST(json("l1\r\nl2\t") == "\"l1\\r\\nl2\\t\"");
  BOOST_TEST(json(std::string_view("\0\x1f\x7f", 3)) == "\"\\u0000\\u001f\\u007f\"");
}

BOOST_AUTO_TEST_CASE(json_keeps_utf8_and_escapes_other_bytes) {
  BOOST_TEST(json("caf\xc3\xa9") == "\"caf\xc3\xa9\"");                      // é
  BOOST_TEST(json("\xe2\x82\xac") == "\"\xe2\x82\xac\"");                    // €
  BOOST_TEST(json("\xf0\x9f\x93\xa7") == "\"\xf0\x9f\x93\xa7\"");            // a 4-byte letter
  BOOST_TEST(json("\xff") == "\"\\u00ff\"");                                 // never UTF-8
  BOOST_TEST(json("\xc3") == "\"\\u00c3\"");                                 // cut sequence
  BOOST_TEST(json("\xc0\xaf") == "\"\\u00c0\\u00af\"");                      // overlong '/'
  BOOST_TEST(json("\xed\xa0\x80") == "\"\\u00ed\\u00a0\\u0080\"");           // a surrogate
  BOOST_TEST(json("\xe0\x80\x80") == "\"\\u00e0\\u0080\\u0080\"");           // overlong
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether
