// The scheduler on a real world (root): the scenario's events run at their
// times in order, each announced with the simulation's event: row, the
// nodes' events handed to the seam (or ignored without one), and its
// lateness printed (a generous bound: real time on a shared machine).

#include <boost/test/unit_test.hpp>
#include <thread>

#include "lab/events/event_rows.h"
#include "lab/events/event_scheduler.h"
#include "lab/world/world_scenarios.h"

namespace tether::lab {
namespace {

struct CountingNodes : NodeEventHandler {
  void apply(const scenario::EventSpec& e, NetworkEvents&) override { seen.push_back(to_string(e.action)); }
  std::vector<std::string> seen;
};

BOOST_AUTO_TEST_SUITE(event_scheduler, *boost::unit_test::label("root") *
                                           boost::unit_test::precondition(tether::testing::needs_root) *
                                           boost::unit_test::precondition(testing::needs_conntrack))

BOOST_AUTO_TEST_CASE(events_run_at_their_times_in_order) {
  const scenario::Scenario s = testing::load_shipped(
      "nat-expiry", testing::linux_nat({"duration=10s", "workload.count=0",
                                        "events=[{at: 1s, action: link-down, target: uplink}, "
                                        "{at: 2s, action: link-up, target: uplink}, {at: 3s, action: nat-flush}, "
                                        "{at: 3s, action: pause-smtp, target: namorar}, "
                                        "{at: 3500ms, action: resume-smtp, target: namorar}]"}));
  auto built = LabWorld::build(s);
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  testing::RecordedEvents recorded(s);
  CountingNodes nodes;
  EventScheduler scheduler(**built, recorded.sink, &nodes);
  scheduler.start(std::chrono::steady_clock::now());
  BOOST_TEST_REQUIRE(scheduler.wait_done(Duration::seconds(10)));
  const std::vector<std::string> rows = recorded.rows();
  BOOST_TEST(rows == (std::vector<std::string>{"world,event:link-down,uplink", "world,link-down,uplink",
                                               "world,event:link-up,uplink", "world,link-up,uplink",
                                               "world,event:nat-flush,", "world,nat-flush,gateway",
                                               "world,event:pause-smtp,namorar", "world,event:resume-smtp,namorar"}),
             boost::test_tools::per_element());
  BOOST_TEST(nodes.seen == (std::vector<std::string>{"pause-smtp", "resume-smtp"}), boost::test_tools::per_element());
  const auto& timeline = recorded.metrics.timeline();
  BOOST_TEST_REQUIRE(timeline.size() >= 1u);
  for (const EventLateness& l : scheduler.lateness()) {
    BOOST_TEST_MESSAGE(l.what << " due " << l.due.seconds_f() << " s, late " << l.late.seconds_f() * 1000 << " ms");
    BOOST_TEST(l.late >= Duration::zero());
    BOOST_TEST(l.late < Duration::milliseconds(500), l.what);
  }
  // Rows carry the time they were made: the first at about 1 s.
  BOOST_TEST((timeline[0].at - Time::zero()) >= Duration::seconds(1));
  BOOST_TEST((timeline[0].at - Time::zero()) < Duration::milliseconds(1500));
}

// link-flap-4g with a 1 s detection: the default route moves to 4G a
// second after the line drops and back a second after it returns, the
// left uplink's flows flushed each time (sim/world/uplink_failover.cc).
BOOST_AUTO_TEST_CASE(the_uplink_fails_over_to_4g_and_back) {
  const scenario::Scenario s = testing::load_shipped(
      "link-flap-4g", testing::linux_nat({"duration=10s", "workload.count=0", "nat.failover_detection=1s",
                                          "events=[{at: 500ms, action: link-down, target: uplink}, "
                                          "{at: 3s, action: link-up, target: uplink}]"}));
  auto built = LabWorld::build(s);
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  LabWorld& world = **built;
  testing::RecordedEvents recorded(s);
  EventScheduler scheduler(world, recorded.sink);
  const auto start = std::chrono::steady_clock::now();
  scheduler.start(start);
  std::this_thread::sleep_until(start + std::chrono::milliseconds(2000));
  BOOST_TEST(scheduler.network().on_lte());
  BOOST_TEST(testing::pings(world, "carinho", "203.0.113.10"));  // out by 4G
  testing::send_udp(world, "carinho", 40126, "203.0.113.10");
  BOOST_TEST(testing::conntrack_table(world).find("dst=" + world.plan().lte_address->to_string()) != std::string::npos);
  BOOST_TEST_REQUIRE(scheduler.wait_done(Duration::seconds(8)));
  BOOST_TEST(!scheduler.network().on_lte());
  BOOST_TEST(world.run_in("gateway", {"ip", "route", "show", "default"}).output.find("uplink-0") != std::string::npos);
  BOOST_TEST(testing::pings(world, "carinho", "203.0.113.10"));
  // (the pings' ICMP flows are flushed too: rows of their own, left out)
  std::vector<std::string> switches;
  for (const std::string& r : recorded.rows())
    if (r.find("uplink-switch") != std::string::npos || r.find("nat-mapping-flushed,udp") != std::string::npos)
      switches.push_back(r);
  const std::string lte = world.plan().lte_address->to_string();
  BOOST_TEST(switches == (std::vector<std::string>{"world,uplink-switch,gateway to 4G",
                                                   "gateway,nat-mapping-flushed,udp " + lte + ":40126 uplink-change",
                                                   "world,uplink-switch,gateway to the wired line"}),
             boost::test_tools::per_element());
  for (const EventLateness& l : scheduler.lateness())
    BOOST_TEST_MESSAGE(l.what << " due " << l.due.seconds_f() << " s, late " << l.late.seconds_f() * 1000 << " ms");
}

BOOST_AUTO_TEST_CASE(without_a_node_handler_node_events_are_ignored_and_stop_is_clean) {
  const scenario::Scenario s = testing::load_shipped(
      "nat-expiry", testing::linux_nat({"duration=60s", "workload.count=0",
                                        "events=[{at: 100ms, action: stop-node, target: namorar}, "
                                        "{at: 50s, action: nat-flush}]"}));
  auto built = LabWorld::build(s);
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  testing::RecordedEvents recorded(s);
  EventScheduler scheduler(**built, recorded.sink);
  scheduler.start(std::chrono::steady_clock::now());
  BOOST_TEST(!scheduler.wait_done(Duration::milliseconds(600)));
  scheduler.stop();  // the 50 s event never runs
  BOOST_TEST(recorded.rows() == (std::vector<std::string>{"world,event:stop-node,namorar",
                                                          "world,event-ignored,namorar stop-node: no node handler"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
