#include <boost/test/unit_test.hpp>

#include "core/time.h"

using namespace tether;

BOOST_AUTO_TEST_SUITE(duration)

BOOST_AUTO_TEST_CASE(parses_the_units_configs_use) {
  BOOST_TEST(parse_duration("250ms")->ns() == Duration::milliseconds(250).ns());
  BOOST_TEST(parse_duration("30s")->ns() == Duration::seconds(30).ns());
  BOOST_TEST(parse_duration("2h")->ns() == Duration::hours(2).ns());
  BOOST_TEST(parse_duration("20d")->ns() == Duration::days(20).ns());
  BOOST_TEST(parse_duration("4d")->ns() == Duration::days(4).ns());
  BOOST_TEST(parse_duration("1w")->ns() == Duration::days(7).ns());
  BOOST_TEST(parse_duration("1h30m")->ns() == Duration::minutes(90).ns());
  BOOST_TEST(parse_duration("1.5s")->ns() == Duration::milliseconds(1500).ns());
  BOOST_TEST(parse_duration("100us")->ns() == Duration::microseconds(100).ns());
  BOOST_TEST(parse_duration("7ns")->ns() == 7);
  BOOST_TEST(parse_duration("0")->ns() == 0);
  BOOST_TEST(parse_duration("-5s")->ns() == Duration::seconds(-5).ns());
}

BOOST_AUTO_TEST_CASE(prints_the_same_forms) {
  BOOST_TEST(format_duration(Duration::milliseconds(250)) == "250ms");
  BOOST_TEST(format_duration(Duration::seconds(30)) == "30s");
  BOOST_TEST(format_duration(Duration::hours(2)) == "2h");
  BOOST_TEST(format_duration(Duration::days(20)) == "20d");
  BOOST_TEST(format_duration(Duration::minutes(90)) == "1h30m");
  BOOST_TEST(format_duration(Duration::milliseconds(1500)) == "1s500ms");
  BOOST_TEST(format_duration(Duration::zero()) == "0s");
  BOOST_TEST(format_duration(Duration::seconds(-5)) == "-5s");
}

BOOST_AUTO_TEST_CASE(round_trips) {
  for (const char* text : {"250ms", "30s", "2h", "20d", "1h30m", "1s500ms", "3d4h5m6s7ms8us9ns"}) {
    auto d = parse_duration(text);
    BOOST_TEST_REQUIRE(d.ok(), text);
    BOOST_TEST(format_duration(*d) == text);
  }
}

BOOST_AUTO_TEST_CASE(malformed_durations_name_the_problem) {
  struct Case {
    const char* text;
    const char* expected_fragment;
  };
  for (const Case& c : {Case{"", "empty"}, Case{"30", "missing unit"}, Case{"5x", "unknown unit 'x'"},
                        Case{"s", "expected a number"}, Case{"1.s", "no digits after '.'"},
                        Case{"10 s", "missing unit"}, Case{"99999999999999999999s", "too large"},
                        Case{"9999999999d", "out of range"}, Case{"-", "no number"}}) {
    auto d = parse_duration(c.text);
    BOOST_TEST_REQUIRE(!d.ok(), "'" << c.text << "' should not parse");
    BOOST_TEST(d.error().code == ErrorCode::invalid_argument);
    BOOST_TEST(d.error().message.find(c.expected_fragment) != std::string::npos,
               "'" << c.text << "' gave: " << d.error().message);
    BOOST_TEST(d.error().message.find(std::string("'") + c.text + "'") != std::string::npos,
               "message should quote the input: " << d.error().message);
  }
}

BOOST_AUTO_TEST_CASE(time_arithmetic_and_never) {
  Time t = Time::from_ns(1000);
  BOOST_TEST((t + Duration::seconds(1)).ns() == 1000 + 1000'000'000LL);
  BOOST_TEST(((t + Duration::seconds(1)) - t).ns() == Duration::seconds(1).ns());
  BOOST_TEST((Time::never() + Duration::seconds(1)).is_never());
  BOOST_TEST((t + Duration::infinite()).is_never());
  BOOST_TEST(t < Time::never());
}

BOOST_AUTO_TEST_CASE(wall_time_prints_utc) {
  BOOST_TEST(format_wall_time(WallTime::from_unix_ns(1'700'000'000'123'000'000LL)) ==
             "2023-11-14T22:13:20.123Z");
  BOOST_TEST(format_wall_time(WallTime::from_unix_seconds(0)) == "1970-01-01T00:00:00.000Z");
}

BOOST_AUTO_TEST_SUITE_END()
