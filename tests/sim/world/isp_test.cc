// The ISP model: a home's public address changes, on a schedule or at an
// event; the old address stops working at once, the new one works, the
// NAT's mappings go, and whoever listens is told.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <utility>

#include "sim/world/blackhole_routing.h"
#include "sim/host/ns3_address.h"
#include "sim/world/static_routes.h"
#include "sim/world/world_fixture.h"

using namespace tether;
using namespace tether::testing;

namespace {

const Endpoint kRelayEcho(kRelay, 7);

Endpoint exchange(World& w, UdpClient& client, UdpEcho& echo) {
  const std::size_t got = client.got.size();
  client.send(kRelayEcho, "ping");
  BOOST_TEST_REQUIRE(w.run_until([&] { return client.got.size() > got; }, Duration::seconds(1)));
  return echo.seen.back().from;
}

bool in_pool(const IpAddress& a) {
  const std::string text = a.to_string();
  return text.rfind("198.51.100.1", 0) == 0 && text.size() == std::string("198.51.100.100").size();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(isp)

BOOST_AUTO_TEST_CASE(address_change_moves_the_home_and_kills_nat_mappings) {
  World w;
  UdpEcho echo(*w.relay_host, 7);
  UdpClient client(*w.home_host, 40000);
  const IpAddress old_address = w.public_address();
  BOOST_TEST(in_pool(old_address));
  const Endpoint before = exchange(w, client, echo);
  BOOST_TEST(before == Endpoint(old_address, 40000));

  std::vector<std::pair<IpAddress, IpAddress>> changes;
  w.isp_line->add_change_handler([&](ns3::Ipv4Address from, ns3::Ipv4Address to) {
    changes.emplace_back(sim::from_ns3(from), sim::from_ns3(to));
  });
  const IpAddress new_address = sim::from_ns3(w.isp_line->change_address());
  BOOST_TEST(new_address != old_address);
  BOOST_TEST(in_pool(new_address));
  BOOST_TEST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0].first == old_address);
  BOOST_TEST(changes[0].second == new_address);
  BOOST_TEST(w.isp_line->changes() == 1u);
  BOOST_TEST(sim::from_ns3(w.nat->public_address()) == new_address);
  // The NAT rebooted its uplink: nothing mapped any more.
  BOOST_TEST(w.nat->table().size() == 0u);
  BOOST_TEST(w.nat->counters().mappings_flushed == 1u);
  BOOST_TEST((w.nat_events.back().cause == sim::NatFlushCause::address_change));
  // Its routes survived the renumbering.
  auto route = sim::default_route(w.gateway);
  BOOST_TEST_REQUIRE(route.has_value());
  BOOST_TEST(route->interface == w.gateway_wan);

  // The old address is dead: the ISP drops what is sent to it (no loop
  // through its upstream, no ICMP).
  auto blackhole = sim::BlackholeRouting::on(w.isp);
  const auto blackholed = blackhole->dropped();
  BOOST_TEST(echo.socket->send_to(before, ByteView(std::string_view("to the old address"))).ok());
  w.run_for(Duration::milliseconds(200));
  BOOST_TEST(client.got.size() == 1u);
  BOOST_TEST(blackhole->dropped() == blackholed + 1);
  BOOST_TEST(w.nat->counters().dropped_not_for_nat == 0u);

  // The new one works, and the relay sees the home come from it.
  BOOST_TEST(exchange(w, client, echo) == Endpoint(new_address, 40000));
  BOOST_TEST(client.got.size() == 2u);
}

BOOST_AUTO_TEST_CASE(scheduled_changes_every_24h_follow_the_seed) {
  auto run = [](std::uint64_t seed) {
    WorldOptions options;
    options.seed = seed;
    options.isp_change_every = Duration::hours(24);
    World w(options);
    std::vector<IpAddress> addresses{w.public_address()};
    std::vector<Time> when;
    w.isp_line->add_change_handler([&](ns3::Ipv4Address, ns3::Ipv4Address to) {
      addresses.push_back(sim::from_ns3(to));
      when.push_back(World::now());
    });
    w.run_for(Duration::hours(72) + Duration::seconds(1));
    BOOST_TEST_REQUIRE(when.size() == 3u);
    for (int i = 0; i < 3; ++i) BOOST_TEST(when[i] == Time::zero() + Duration::hours(24 * (i + 1)));
    for (std::size_t i = 1; i < addresses.size(); ++i) {
      BOOST_TEST(addresses[i] != addresses[i - 1]);
      BOOST_TEST(in_pool(addresses[i]));
    }
    return addresses;
  };
  const auto first = run(1);
  BOOST_TEST(run(1) == first, boost::test_tools::per_element());
  BOOST_TEST((run(2) != first));
}

BOOST_AUTO_TEST_CASE(a_home_host_without_nat_is_renumbered_itself) {
  WorldOptions options;
  options.with_nat = false;
  World w(options);
  UdpEcho echo(*w.relay_host, 7);
  UdpClient client(*w.home_host, 40000);
  const IpAddress old_address = w.public_address();
  const Endpoint before = exchange(w, client, echo);
  BOOST_TEST(before == Endpoint(old_address, 40000));

  const IpAddress new_address = sim::from_ns3(w.isp_line->change_address());
  BOOST_TEST(new_address != old_address);
  auto route = sim::default_route(w.home);
  BOOST_TEST_REQUIRE(route.has_value());
  BOOST_TEST(echo.socket->send_to(before, ByteView(std::string_view("to the old address"))).ok());
  w.run_for(Duration::milliseconds(200));
  BOOST_TEST(client.got.size() == 1u);
  // A socket bound to the wildcard address sends from the new one.
  BOOST_TEST(exchange(w, client, echo) == Endpoint(new_address, 40000));
}

BOOST_AUTO_TEST_SUITE_END()
