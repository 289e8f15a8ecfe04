#include <boost/test/unit_test.hpp>

#include <vector>

#include "core/logger.h"

using namespace tether;

BOOST_AUTO_TEST_SUITE(logger)

BOOST_AUTO_TEST_CASE(stamps_records_with_the_given_clock) {
  Time now = Time::from_ns(12'345'678'000);
  std::vector<std::string> lines;
  Logger log([&] { return now; }, [&](const LogRecord& r) { lines.push_back(format_log_record(r)); },
             LogLevel::info);
  Logger tunnel = log.child("tunnel");
  tunnel.info("handshake completed");
  tunnel.debug("not shown at info");
  now = now + Duration::seconds(1);
  tunnel.child("timers").warning("retry");
  BOOST_TEST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0] == "[          12.345678] info    tunnel: handshake completed");
  BOOST_TEST(lines[1] == "[          13.345678] warning tunnel.timers: retry");
}

BOOST_AUTO_TEST_CASE(default_logger_discards) {
  Logger quiet;
  BOOST_TEST(!quiet.enabled(LogLevel::error));
  quiet.error("nowhere");  // must not crash
  BOOST_TEST((parse_log_level("debug").value() == LogLevel::debug));
  BOOST_TEST(parse_log_level("loud").error().message.find("'loud'") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
