// tetherd's tunnel log lines back into tunnel::Events (lab/runner/tunnel_log_events.h).

#include <boost/test/unit_test.hpp>

#include "lab/runner/tunnel_log_events.h"

using namespace tether;
using namespace tether::lab;

BOOST_AUTO_TEST_SUITE(tunnel_log_events)

BOOST_AUTO_TEST_CASE(events_metrics_reads_come_back_on_the_run_time) {
  const Time start = Time::from_ns(1000'000'000'000);  // 1000 s on the monotonic clock
  auto hs = parse_tunnel_log_event({1002.5, "debug", "handshake_sent peer kRvHbTn8 to 203.0.113.10:51820 attempt 2"}, start);
  BOOST_TEST_REQUIRE(hs.has_value());
  BOOST_TEST(hs->kind == tunnel::EventKind::handshake_sent);
  BOOST_TEST(hs->time.ns() == 2'500'000'000);
  BOOST_TEST(hs->endpoint->to_string() == "203.0.113.10:51820");

  auto moved = parse_tunnel_log_event({1003, "info", "endpoint_changed peer kRvHbTn8 (none) -> 198.51.100.102:37563"}, start);
  BOOST_TEST_REQUIRE(moved.has_value());
  BOOST_TEST(!moved->old_endpoint.has_value());
  BOOST_TEST(moved->endpoint->to_string() == "198.51.100.102:37563");

  auto changed = parse_tunnel_log_event({1004, "info", "endpoint_changed peer x 198.51.100.1:1 -> 198.51.100.2:2"}, start);
  BOOST_TEST_REQUIRE(changed.has_value());
  BOOST_TEST(changed->old_endpoint->to_string() == "198.51.100.1:1");

  BOOST_TEST(parse_tunnel_log_event({1001, "info", "handshake_completed peer kRvHbTn8"}, start)->kind ==
             tunnel::EventKind::handshake_completed);
}

BOOST_AUTO_TEST_CASE(other_lines_are_not_events) {
  const Time start = Time::zero();
  BOOST_TEST(!parse_tunnel_log_event({1, "info", "up: listening on UDP port 33665"}, start).has_value());
  BOOST_TEST(!parse_tunnel_log_event({1, "debug", "packet_dropped no_peer: no peer"}, start).has_value());
  BOOST_TEST(!parse_tunnel_log_event({1, "info", ""}, start).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
