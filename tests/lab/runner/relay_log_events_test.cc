// The relay's event lines, as MailRelay logs them (node/relay_event_log.h),
// back into MailRelayEvents and the simulation's Metrics
// (lab/runner/relay_log_events.h). No root.

#include <boost/test/unit_test.hpp>

#include "lab/runner/relay_log_events.h"
#include "lab/world/world_scenarios.h"
#include "node/relay_event_log.h"

using namespace tether;
using namespace tether::lab;
using Kind = node::MailRelayEvent::Kind;

namespace {

const Time kStart = Time::from_ns(1000'000'000'000);  // 1000 s on the monotonic clock

LogLine logged(double seconds, const node::MailRelayEvent& e) {
  return {seconds, "debug", node::format_relay_event_line(e)};
}

node::MailRelayEvent event(Kind kind, smtp::EnvelopeId evpid) {
  node::MailRelayEvent e;
  e.kind = kind;
  e.evpid = evpid;
  e.msgid = smtp::message_of(evpid);
  return e;
}

node::MailRelayEvent parsed(const LogLine& line) {
  auto e = parse_relay_log_event(line, kStart);
  BOOST_TEST_REQUIRE(e.ok(), (e.ok() ? std::string() : e.error().message));
  BOOST_TEST_REQUIRE(e->has_value(), line.text);
  return **e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_log_events)

BOOST_AUTO_TEST_CASE(every_field_comes_back_through_the_logged_line_on_the_run_time) {
  node::MailRelayEvent accepted = event(Kind::message_accepted, 0);
  accepted.msgid = 0x0a1b2c3d;
  accepted.envelopes = {0x0a1b2c3d00000001, 0x0a1b2c3d00000002};
  accepted.message_id = "<sim-0.1@mail.websteading.net>";
  accepted.detail = "198.18.0.10:41234";
  const LogLine line = logged(1005.25, accepted);
  BOOST_TEST(line.text ==
             "message_accepted msgid=0a1b2c3d envelopes=0a1b2c3d00000001,0a1b2c3d00000002 "
             "message-id=<sim-0.1@mail.websteading.net> detail=198.18.0.10:41234");
  const node::MailRelayEvent back = parsed(line);
  BOOST_TEST(std::string(node::to_string(back.kind)) == "message_accepted");
  BOOST_TEST(back.time.ns() == 5'250'000'000);
  BOOST_TEST(back.msgid == accepted.msgid);
  BOOST_TEST(back.envelopes == accepted.envelopes);
  BOOST_TEST(back.message_id == accepted.message_id);
  BOOST_TEST(back.detail == accepted.detail);

  // Values with spaces, quotes, backslashes and control bytes are quoted.
  node::MailRelayEvent failed = event(Kind::temporary_failure, 0x0a1b2c3d00000001);
  failed.destination = "example.org";
  failed.detail = "421 4.4.0 \"mx\" said \\ no\r\n";
  const node::MailRelayEvent f = parsed(logged(1001, failed));
  BOOST_TEST(f.evpid == failed.evpid);
  BOOST_TEST(f.msgid == 0x0a1b2c3du);
  BOOST_TEST(f.destination == "example.org");
  BOOST_TEST(f.detail == failed.detail);

  node::MailRelayEvent local = event(Kind::delivered, 0x0a1b2c3d00000001);
  local.path = "/run/x/state/home/jay/Maildir/new/1.2.carinho lan";
  BOOST_TEST(parsed(logged(1001, local)).path == local.path);
}

BOOST_AUTO_TEST_CASE(other_lines_are_not_events_and_broken_ones_are_errors_naming_the_line) {
  auto other = parse_relay_log_event({1001, "info", "up: 0 envelopes queued"}, kStart);
  BOOST_TEST_REQUIRE(other.ok());
  BOOST_TEST(!other->has_value());
  for (const char* broken : {"delivered evpid=zz", "delivered detail=\"no end", "delivered detail", "delivered detail=\"a\"b"}) {
    auto r = parse_relay_log_event({1001, "debug", broken}, kStart);
    BOOST_TEST_REQUIRE(!r.ok(), broken);
    BOOST_TEST(r.error().message.find(broken) != std::string::npos, r.error().message);
  }
}

BOOST_AUTO_TEST_CASE(fed_to_the_metrics_they_give_the_first_attempt_the_totals_and_the_rows) {
  const scenario::Scenario s = testing::load_shipped("nat-expiry", testing::linux_nat());
  const scenario::HostSpec& sender = s.hosts[0];
  const scenario::HostSpec* home = s.first_with_role(scenario::HostRole::home);
  BOOST_TEST_REQUIRE((sender.role == scenario::HostRole::sender));
  BOOST_TEST_REQUIRE(home != nullptr);
  scenario::Metrics metrics(s);
  scenario::Submission submitted;
  submitted.message_id = "<sim-0.1@mail.websteading.net>";
  submitted.submitted = Time::zero() + Duration::seconds(5);
  submitted.finished = submitted.submitted;
  submitted.accepted = true;
  metrics.on_submitted(submitted);

  const smtp::EnvelopeId id = 0x0a1b2c3d00000001;
  node::MailRelayEvent accepted = event(Kind::message_accepted, 0);
  accepted.msgid = smtp::message_of(id);
  accepted.envelopes = {id};
  accepted.message_id = submitted.message_id;
  node::MailRelayEvent attempt = event(Kind::delivery_attempt, id);
  attempt.destination = "example.org";
  node::MailRelayEvent deferred = event(Kind::temporary_failure, id);
  deferred.detail = "421 4.4.0 try later";
  node::MailRelayEvent relayed = event(Kind::delivered, id);
  relayed.detail = "mail.example.org [203.0.113.10:25]: 250 2.0.0 Ok";
  const std::vector<LogLine> lines{logged(999, attempt),  // before the run: not in it
                                   logged(1005.1, accepted), logged(1005.2, attempt), logged(1006, deferred),
                                   logged(1007, attempt),    logged(1007.5, relayed), logged(1100, relayed)};
  scenario::RelayTotals totals;
  const auto problems =
      feed_relay_events(metrics, sender, lines, kStart, Time::zero() + Duration::seconds(40), false, totals);
  BOOST_TEST(problems.empty());
  BOOST_TEST(totals.accepted == 1u);
  BOOST_TEST(totals.attempts == 2u);
  BOOST_TEST(totals.temporary_failures == 1u);
  BOOST_TEST(totals.delivered == 1u);
  BOOST_TEST_REQUIRE(metrics.messages().size() == 1u);
  BOOST_TEST(metrics.messages()[0].first_attempt.ns() == 5'200'000'000);

  // The home's local delivery counts in its totals but is left to the maildir watcher.
  node::MailRelayEvent home_accepted = accepted;
  node::MailRelayEvent local = event(Kind::delivered, id);
  local.path = "/nonexistent/Maildir/new/1";
  scenario::RelayTotals home_totals;
  feed_relay_events(metrics, *home, {logged(1008, home_accepted), logged(1008.1, local)}, kStart,
                    Time::zero() + Duration::seconds(40), true, home_totals);
  BOOST_TEST(home_totals.delivered == 1u);
  BOOST_TEST(metrics.messages()[0].copies == 0u);
  BOOST_TEST(metrics.timeline().back().kind == "accepted");
}

BOOST_AUTO_TEST_CASE(route_ups_become_the_simulations_rows) {
  const scenario::Scenario s = testing::load_shipped("nat-expiry", testing::linux_nat());
  const scenario::HostSpec* home = s.first_with_role(scenario::HostRole::home);
  BOOST_TEST_REQUIRE(home != nullptr);
  scenario::Metrics metrics(s);
  feed_route_ups(metrics, *home,
                 {{1000.5, "debug", "tunnel route back: 0 deferred envelopes due now"},
                  {1001, "info", "ready: tunnel wg0, relay on 10.8.0.2:25"},
                  {1030, "info", "tunnel route back: 2 deferred envelopes due now"},
                  {1100, "info", "tunnel route back: 1 deferred envelopes due now"}},  // after the end
                 kStart, Time::zero() + Duration::seconds(40));
  BOOST_TEST_REQUIRE(metrics.timeline().size() == 2u);
  BOOST_TEST(metrics.timeline()[0].at.ns() == 500'000'000);
  BOOST_TEST(metrics.timeline()[0].source == "world");
  BOOST_TEST(metrics.timeline()[0].kind == "route-up");
  BOOST_TEST(metrics.timeline()[0].detail == home->name + " 0 due");
  BOOST_TEST(metrics.timeline()[1].detail == home->name + " 2 due");
}

BOOST_AUTO_TEST_SUITE_END()
