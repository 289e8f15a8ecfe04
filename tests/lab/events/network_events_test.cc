// The network events on real namespace worlds of shipped scenarios (root):
// a blackholed link loses pings with the interfaces still up and its far
// end never reported unreachable, an ISP change
// moves the uplink to the simulation's next address and takes the NAT's old
// flows, nat-flush empties the table, dns-set changes what dig answers, and
// `conntrack -E` gives the NAT's mapping created and expired rows.

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "lab/events/conntrack_watcher.h"
#include "lab/events/event_rows.h"
#include "lab/events/network_events.h"
#include "lab/world/world_scenarios.h"

namespace tether::lab {
namespace {

using testing::linux_nat;
using testing::load_shipped;
using testing::RecordedEvents;

std::unique_ptr<LabWorld> build(const scenario::Scenario& s) {
  auto world = LabWorld::build(s);
  BOOST_TEST_REQUIRE(world.ok(), (world.ok() ? "" : world.error().to_string()));
  return std::move(*world);
}

// Network events outside a scheduler: times from a clock of their own,
// nothing deferred (no 4G here).
struct Events {
  explicit Events(LabWorld& world)
      : recorded(world.scenario()),
        network(world, recorded.sink, [] { return Time::zero(); }, [](Duration, std::function<void()>) {}) {}
  RecordedEvents recorded;
  NetworkEvents network;
};

scenario::EventSpec event(scenario::EventAction action, std::string target = "") {
  scenario::EventSpec e;
  e.action = action;
  e.target = std::move(target);
  return e;
}

BOOST_AUTO_TEST_SUITE(network_events, *boost::unit_test::label("root") *
                                          boost::unit_test::precondition(tether::testing::needs_root) *
                                          boost::unit_test::precondition(testing::needs_conntrack))

BOOST_AUTO_TEST_CASE(link_down_blackholes_the_uplink_and_link_up_restores_it) {
  const auto world = build(load_shipped("nat-expiry", linux_nat()));
  Events events(*world);
  BOOST_TEST(testing::pings(*world, "carinho", "203.0.113.10"));
  events.network.apply(event(scenario::EventAction::link_down, "uplink"));
  events.network.apply(event(scenario::EventAction::link_down, "uplink"));  // again: a row, nothing more
  BOOST_TEST(!testing::pings(*world, "carinho", "203.0.113.10", "1"));
  BOOST_TEST(!testing::pings(*world, "namorar", world->plan().isp_address->to_string(), "1"));
  // Nobody notices: the gateway's uplink is up, its routes in place.
  const CommandResult link = world->run_in("gateway", {"ip", "-br", "link", "show", "uplink-0"});
  BOOST_TEST(link.output.find("UP") != std::string::npos, link.output);
  BOOST_TEST(world->run_in("gateway", {"ip", "route", "show", "default"}).output.find("uplink-0") != std::string::npos);
  events.network.apply(event(scenario::EventAction::link_up, "uplink"));
  BOOST_TEST(testing::pings(*world, "carinho", "203.0.113.10"));
  events.network.apply(event(scenario::EventAction::link_down, "nowhere"));
  const std::vector<std::string> rows = events.recorded.rows();
  BOOST_TEST(events.network.problems().empty());
  BOOST_TEST(rows == (std::vector<std::string>{"world,link-down,uplink", "world,link-down,uplink", "world,link-up,uplink",
                                               "world,event-ignored,nowhere link-down: no such link"}),
             boost::test_tools::per_element());
}

// A packet to a blackholed host vanishes unanswered, as on the simulation's
// point-to-point links: the router's neighbour entry for it stays resolved
// (ARP crosses the blackhole), so no ICMP host unreachable comes back, which
// would end a sender's connect long before its SYN retries run out.
BOOST_AUTO_TEST_CASE(a_blackholed_host_is_never_reported_unreachable) {
  const auto world = build(load_shipped("nat-expiry", linux_nat()));
  Events events(*world);
  events.network.apply(event(scenario::EventAction::link_down, "namorar"));
  // Start from an empty neighbour table: the router must resolve namorar anew.
  BOOST_TEST_REQUIRE(world->run_in("internet", {"ip", "neigh", "flush", "dev", "namorar-1"}).ok());
  // 6 pings over 5 s: ARP would give up after its 3 probes, 1 s apart.
  const CommandResult ping = world->run_in("sender", {"ping", "-4", "-c", "6", "-i", "1", "-W", "1", "203.0.113.10"});
  BOOST_TEST(!ping.ok());
  BOOST_TEST(ping.output.find("nreachable") == std::string::npos, ping.output);
  BOOST_TEST(ping.output.find(" 0 received") != std::string::npos, ping.output);
  const std::string neigh = world->run_in("internet", {"ip", "neigh", "show", "203.0.113.10"}).output;
  BOOST_TEST(neigh.find("lladdr") != std::string::npos, neigh);
  BOOST_TEST(neigh.find("FAILED") == std::string::npos, neigh);
  events.network.apply(event(scenario::EventAction::link_up, "namorar"));
  BOOST_TEST(testing::pings(*world, "sender", "203.0.113.10"));
  BOOST_TEST(events.network.problems().empty());
}

BOOST_AUTO_TEST_CASE(isp_change_moves_the_uplink_to_the_simulations_next_address) {
  const auto world = build(load_shipped("ip-change", linux_nat()));
  Events events(*world);
  const std::string old = world->plan().isp_address->to_string();
  BOOST_TEST(old == "198.51.100.102");
  testing::send_udp(*world, "carinho", 40123, "203.0.113.10");
  BOOST_TEST(testing::conntrack_table(*world).find("dst=" + old) != std::string::npos);
  events.network.apply(event(scenario::EventAction::isp_change));
  // tether-sim scenarios/ip-change.yaml --set isp.change_every=1h: 198.51.100.102 -> 198.51.100.100.
  BOOST_TEST(events.network.isp_address().to_string() == "198.51.100.100");
  const CommandResult addresses = world->run_in("gateway", {"ip", "-4", "-br", "addr", "show", "uplink-0"});
  BOOST_TEST(addresses.output.find("198.51.100.100/32") != std::string::npos, addresses.output);
  BOOST_TEST(addresses.output.find(old) == std::string::npos, addresses.output);
  BOOST_TEST(testing::conntrack_table(*world).find("dst=" + old) == std::string::npos);
  // Out through the new address; the old one vanishes at the ISP.
  BOOST_TEST(testing::pings(*world, "carinho", "203.0.113.10"));
  BOOST_TEST(testing::pings(*world, "namorar", "198.51.100.100"));
  BOOST_TEST(!testing::pings(*world, "namorar", old, "1"));
  BOOST_TEST(events.recorded.find("nat-mapping-flushed") ==
             "gateway,nat-mapping-flushed,udp 198.51.100.102:40123 address-change");
  BOOST_TEST(events.recorded.find("isp-address") == "world,isp-address,uplink 198.51.100.102 -> 198.51.100.100");
  BOOST_TEST(events.network.problems().empty());
}

BOOST_AUTO_TEST_CASE(isp_change_moves_the_delegated_prefix_with_the_address) {
  const auto world = build(load_shipped("ip-change-v6", linux_nat()));
  Events events(*world);
  BOOST_TEST(world->plan().delegated_prefix->to_string() == "3fff:400::/56");
  events.network.apply(event(scenario::EventAction::isp_change));
  // tether-sim scenarios/ip-change-v6.yaml --set isp.change_every=1h: the same two rows at 3600 s.
  BOOST_TEST(events.recorded.find("isp-address") == "world,isp-address,uplink 198.51.100.102 -> 198.51.100.100");
  BOOST_TEST(events.recorded.find("isp-prefix") == "world,isp-prefix,uplink 3fff:400::/56 -> 3fff:200::/56");
  // The home keeps its interface id in the new /64, reachable from the relay;
  // the old prefix vanishes at the ISP.
  const auto ping6 = [&](const std::string& to, const char* wait) {
    return world->run_in("namorar", {"ping", "-6", "-c", "1", "-W", wait, to}).ok();
  };
  BOOST_TEST(ping6("3fff:200::10", "2"));
  BOOST_TEST(!ping6("3fff:400::10", "1"));
  BOOST_TEST(events.network.problems().empty(), (events.network.problems().empty() ? "" : events.network.problems()[0]));
}

BOOST_AUTO_TEST_CASE(nat_flush_empties_the_gateways_table) {
  const auto world = build(load_shipped("nat-expiry", linux_nat()));
  Events events(*world);
  testing::send_udp(*world, "carinho", 40124, "203.0.113.10");
  BOOST_TEST(testing::conntrack_table(*world).find("sport=40124") != std::string::npos);
  events.network.apply(event(scenario::EventAction::nat_flush));
  BOOST_TEST(testing::conntrack_table(*world).find("src=") == std::string::npos, testing::conntrack_table(*world));
  BOOST_TEST(events.recorded.find("nat-mapping-flushed").find("udp ") != std::string::npos);
  BOOST_TEST(events.recorded.find("nat-flush") == "world,nat-flush,gateway");
}

BOOST_AUTO_TEST_CASE(dns_set_and_remove_change_what_dig_answers) {
  const auto world = build(load_shipped("nat-expiry", linux_nat()));
  Events events(*world);
  const auto mx = [&] { return world->run_in("sender", {"dig", "+short", "@127.0.0.1", "MX", "example.org"}).output; };
  BOOST_TEST(mx() == "10 mail.example.org.\n");
  scenario::EventSpec set = event(scenario::EventAction::dns_set);
  set.name = "example.org";
  set.type = scenario::DnsRecordSpec::Type::mx;
  set.value = "20 mx.example.org";
  events.network.apply(set);
  BOOST_TEST(mx() == "20 mx.example.org.\n");
  scenario::EventSpec remove = set;
  remove.action = scenario::EventAction::dns_remove;
  remove.value.clear();
  events.network.apply(remove);
  BOOST_TEST(mx() == "");
  BOOST_TEST(events.recorded.find("dns-set") == "world,dns-set,example.org 20 mx.example.org");
  BOOST_TEST(events.network.problems().empty());
}

BOOST_AUTO_TEST_CASE(conntrack_events_give_the_mapping_created_and_its_expiry) {
  const auto world = build(load_shipped("nat-expiry", linux_nat({"nat.timeouts.udp=2s"})));
  RecordedEvents recorded(world->scenario());
  const auto start = std::chrono::steady_clock::now();
  auto watcher = ConntrackWatcher::start(*world, recorded.sink, start);
  BOOST_TEST_REQUIRE(watcher.ok(), (watcher.ok() ? "" : watcher.error().to_string()));
  const std::string isp = world->plan().isp_address->to_string();
  testing::send_udp(*world, "carinho", 40125, "203.0.113.10");
  const auto sent = std::chrono::steady_clock::now();
  const std::string created = "gateway,nat-mapping-created,192.168.1.10:40125 -> " + isp + ":40125";
  const std::string expired = "gateway,nat-mapping-expired,192.168.1.10:40125 -> " + isp + ":40125";
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {  // 10 s at most
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    seen = recorded.find("nat-mapping-expired") == expired;
  }
  const double lag = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count() - 2.0;
  BOOST_TEST_MESSAGE("nat-mapping-expired seen " << lag << " s after the 2 s UDP timeout");
  BOOST_TEST(recorded.find("nat-mapping-created") == created);
  BOOST_TEST(seen, "no expiry within 10 s");
  (*watcher)->stop();
  BOOST_TEST((*watcher)->problems().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
