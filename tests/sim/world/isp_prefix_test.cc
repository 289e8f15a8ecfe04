// The ISP's IPv6 prefix delegation on the small world, the home host on the
// ISP line (IPv6 has no NAT): after a prefix change the home's old address
// is gone (packets to it vanish at the ISP), its new one (same interface id)
// is reachable, and a WireGuard tunnel over IPv6 recovers: the relay roams
// to the home's new source address at its next keepalive.

#include <boost/test/unit_test.hpp>

#include <ns3/boolean.h>
#include <ns3/ipv6-static-routing-helper.h>
#include <ns3/ipv6.h>

#include "node/tunnel_endpoint.h"
#include "node/tunnel_test_nodes.h"
#include "sim/world/isp_prefix.h"
#include "sim/host/ns3_address.h"
#include "sim/world/world_fixture.h"

using namespace tether;
using namespace tether::testing;

namespace {

// RFC 9637's documentation prefix 3fff::/20: ns-3.37 refuses to forward
// RFC 3849's 2001:db8::/32 (Ipv6L3Protocol::IpForward drops it).
const IpAddress kRelay6 = *IpAddress::parse("3fff:ffff::10");
const IpPrefix kFirst = *IpPrefix::parse("3fff:100::/56");
const IpPrefix kSecond = *IpPrefix::parse("3fff:200::/56");

// The small world without NAT, plus IPv6: the relay at 3fff:ffff::10
// behind the ISP router, the home numbered from its delegated /56
// (subnet 0, interface id ::10).
struct Ipv6World {
  World w{[] {
    WorldOptions o;
    o.with_nat = false;
    return o;
  }()};
  std::unique_ptr<sim::IspPrefix> line;

  Ipv6World() {
    auto isp6 = w.isp->GetObject<ns3::Ipv6>();
    isp6->SetAttribute("IpForward", ns3::BooleanValue(true));
    const std::uint32_t isp_line = sim::ipv6_interface(w.isp, w.uplink.device(1));
    const std::uint32_t isp_relay = sim::ipv6_interface(w.isp, w.relay_link.device(0));
    isp6->AddAddress(isp_relay, ns3::Ipv6InterfaceAddress(ns3::Ipv6Address("3fff:ffff::1"), ns3::Ipv6Prefix(64)));
    const std::uint32_t relay_if = sim::ipv6_interface(w.relay, w.relay_link.device(1));
    auto relay6 = w.relay->GetObject<ns3::Ipv6>();
    relay6->AddAddress(relay_if, ns3::Ipv6InterfaceAddress(sim::to_ns3_v6(kRelay6), ns3::Ipv6Prefix(64)));
    ns3::Ipv6StaticRoutingHelper().GetStaticRouting(relay6)->SetDefaultRoute(ns3::Ipv6Address("3fff:ffff::1"), relay_if);
    const std::uint32_t home_if = sim::ipv6_interface(w.home, w.uplink.device(0));

    sim::IspPrefixConfig config;
    config.pool = {kFirst, kSecond, *IpPrefix::parse("3fff:300::/56")};
    config.initial = kFirst;
    auto created = sim::IspPrefix::create({w.isp, isp_line, w.home, home_if, true},
                                          {sim::PrefixSite{w.home, home_if, 0, 0x10, nullptr, 0}}, config);
    BOOST_TEST_REQUIRE(created.ok(), (created.ok() ? "" : created.error().to_string()));
    line = std::move(*created);
    w.run_for(Duration::seconds(2));  // duplicate address detection, where the stack does it
  }
};

Endpoint exchange6(World& w, UdpClient& client, UdpEcho& echo) {
  const std::size_t got = client.got.size();
  client.send(Endpoint(kRelay6, 7), "ping");
  BOOST_TEST_REQUIRE(w.run_until([&] { return client.got.size() > got; }, Duration::seconds(1)));
  return echo.seen.back().from;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(isp_prefix)

BOOST_AUTO_TEST_CASE(a_prefix_change_renumbers_the_home_and_blackholes_the_old_addresses) {
  Ipv6World v;
  BOOST_TEST(v.line->address(0).to_string() == "3fff:100::10");
  UdpEcho echo(*v.w.relay_host, 7, IpAddress::Family::v6);
  UdpClient client(*v.w.home_host, 40000, IpAddress::Family::v6);
  const Endpoint before = exchange6(v.w, client, echo);
  BOOST_TEST(before == Endpoint(*IpAddress::parse("3fff:100::10"), 40000));

  std::vector<std::string> changes;
  v.line->add_change_handler(
      [&](const IpPrefix& from, const IpPrefix& to) { changes.push_back(from.to_string() + " -> " + to.to_string()); });
  const IpPrefix now = v.line->change_prefix(kSecond);
  BOOST_TEST(now == kSecond);
  BOOST_TEST(v.line->changes() == 1u);
  BOOST_TEST_REQUIRE(changes.size() == 1u);
  BOOST_TEST(changes[0] == "3fff:100::/56 -> 3fff:200::/56");
  // Same interface id under the new prefix; the old address is gone from the host.
  BOOST_TEST(v.line->address(0).to_string() == "3fff:200::10");
  auto home6 = v.w.home->GetObject<ns3::Ipv6>();
  for (std::uint32_t i = 0; i < home6->GetNInterfaces(); ++i)
    for (std::uint32_t a = 0; a < home6->GetNAddresses(i); ++a)
      BOOST_TEST(sim::from_ns3(home6->GetAddress(i, a).GetAddress()).to_string() != "3fff:100::10");

  // To the old address: nothing arrives; the ISP router drops it.
  const std::uint64_t dropped = v.line->blackhole()->dropped();
  BOOST_TEST(echo.socket->send_to(before, ByteView(std::string_view("to the old address"))).ok());
  v.w.run_for(Duration::milliseconds(200));
  BOOST_TEST(client.got.size() == 1u);
  BOOST_TEST(v.line->blackhole()->dropped() == dropped + 1);
  // From the home: the wildcard socket sends from the new address, and the answer comes back to it.
  BOOST_TEST(exchange6(v.w, client, echo) == Endpoint(*IpAddress::parse("3fff:200::10"), 40000));
  BOOST_TEST(client.got.size() == 2u);
}

BOOST_AUTO_TEST_CASE(scheduled_prefix_changes_draw_another_prefix_of_the_pool) {
  Ipv6World v;
  std::vector<IpPrefix> seen{v.line->prefix()};
  for (int i = 0; i < 4; ++i) {
    const IpPrefix next = v.line->change_prefix();
    BOOST_TEST(!(next == seen.back()));
    seen.push_back(next);
  }
  BOOST_TEST(v.line->changes() == 4u);
  // Back to the first prefix: it is ours again and routed, no longer blackholed.
  v.line->change_prefix(kFirst);
  UdpEcho echo(*v.w.relay_host, 7, IpAddress::Family::v6);
  UdpClient client(*v.w.home_host, 40000, IpAddress::Family::v6);
  BOOST_TEST(exchange6(v.w, client, echo) == Endpoint(*IpAddress::parse("3fff:100::10"), 40000));
}

BOOST_AUTO_TEST_CASE(a_wireguard_tunnel_over_ipv6_follows_the_new_prefix_at_the_next_keepalive) {
  Ipv6World v;
  node::TunnelEndpoint relay(*v.w.relay_host, parse_conf(relay_conf()));
  node::TunnelEndpoint home(*v.w.home_host, parse_conf(home_conf("[3fff:ffff::10]:51820", 25)));
  std::vector<tunnel::Event> relay_events;
  relay.subscribe([&](const tunnel::Event& e) { relay_events.push_back(e); });
  BOOST_TEST_REQUIRE(relay.start().ok());
  BOOST_TEST_REQUIRE(home.start().ok());
  auto relay_sees = [&] {
    auto stats = relay.status().peers.at(0).stats;
    return stats.endpoint ? stats.endpoint->address().to_string() : std::string("none");
  };
  BOOST_TEST_REQUIRE(v.w.run_until([&] { return relay_sees() == "3fff:100::10"; }, Duration::seconds(5)), relay_sees());
  const std::size_t handshakes = count_events(relay_events, tunnel::EventKind::handshake_completed);

  const Time changed = v.w.now();
  v.line->change_prefix(kSecond);
  BOOST_TEST_REQUIRE(v.w.run_until([&] { return relay_sees() == "3fff:200::10"; }, Duration::seconds(40)), relay_sees());
  // The home's next keepalive (25 s at most), on the same session.
  BOOST_TEST(v.w.now() - changed <= Duration::seconds(25) + Duration::milliseconds(100), format_duration(v.w.now() - changed));
  BOOST_TEST(count_events(relay_events, tunnel::EventKind::endpoint_changed) >= 1u);
  BOOST_TEST(count_events(relay_events, tunnel::EventKind::handshake_completed) == handshakes);
  home.stop();
  relay.stop();
}

BOOST_AUTO_TEST_SUITE_END()
