// The same TunnelEndpoint, unchanged, on two ns-3 nodes: the home node
// pings the relay's tunnel address with ns-3's own ping application, the
// packets go through the VirtualNetDevices and the WireGuard endpoints over
// a point-to-point link, and ns-3's ICMP on the relay answers. No test code
// sits on either OS side.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/net-device-container.h>
#include <ns3/node-container.h>
#include <ns3/nstime.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/string.h>
#include <ns3/uinteger.h>
#include <ns3/v4ping.h>

#include "node/tunnel_show.h"
#include "node/tunnel_test_nodes.h"
#include "sim/world/dns_zone.h"
#include "sim/host/ns3_host.h"
#include "sim/host/sim_host_fixture.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;

namespace {

const Duration kLinkDelay = Duration::milliseconds(10);

// home 192.0.2.1 -- 10 ms -- relay 192.0.2.2; "relay.sim.test" names the relay.
struct SimPair {
  SimulationRun run;
  TempDirectory dir;
  ns3::NodeContainer nodes;
  std::unique_ptr<sim::Ns3Host> home_host, relay_host;
  std::unique_ptr<TunnelEndpoint> home, relay;

  SimPair() {
    nodes.Create(2);
    ns3::InternetStackHelper internet;
    internet.Install(nodes);
    internet.AssignStreams(nodes, 0);
    ns3::PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", ns3::StringValue("10Mbps"));
    p2p.SetChannelAttribute("Delay", ns3::StringValue("10ms"));
    ns3::NetDeviceContainer link = p2p.Install(nodes);
    ns3::Ipv4AddressHelper addresses;
    addresses.SetBase("192.0.2.0", "255.255.255.0");
    addresses.Assign(link);
    SimulationRun::boot();  // hosts only on booted nodes

    auto zone = std::make_shared<sim::DnsZone>();
    zone->add_address("relay.sim.test", *IpAddress::parse("192.0.2.2"));
    sim::Ns3HostOptions home_options = test_host_options(dir, "home", 7);
    home_options.dns_zone = zone;
    home_host = make_host(0, home_options);
    relay_host = make_host(1, test_host_options(dir, "relay", 7));
  }
  ~SimPair() {
    home.reset();
    relay.reset();
    home_host.reset();
    relay_host.reset();
  }

  std::unique_ptr<sim::Ns3Host> make_host(std::uint32_t i, sim::Ns3HostOptions options) {
    auto host = sim::Ns3Host::create(nodes.Get(i), std::move(options));
    BOOST_TEST_REQUIRE(host.ok(), (host.ok() ? "" : host.error().to_string()));
    return std::move(*host);
  }

  static std::unique_ptr<TunnelEndpoint> start(Host& host, const std::string& conf) {
    auto endpoint = std::make_unique<TunnelEndpoint>(host, parse_conf(conf));
    Result<void> started = endpoint->start();
    BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().to_string()));
    return endpoint;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tunnel_endpoint_sim)

BOOST_AUTO_TEST_CASE(ns3_ping_through_the_tunnel_is_answered_by_ns3) {
  SimPair p;
  p.relay = SimPair::start(*p.relay_host, relay_conf());
  p.home = SimPair::start(*p.home_host, home_conf("relay.sim.test:51820"));
  std::vector<tunnel::Event> home_events;
  p.home->subscribe([&](const tunnel::Event& e) { home_events.push_back(e); });

  // ns-3's ping, from home's own stack, to the relay's tunnel address.
  auto ping = ns3::CreateObject<ns3::V4Ping>();
  ping->SetAttribute("Remote", ns3::Ipv4AddressValue("10.8.0.1"));
  ping->SetAttribute("Interval", ns3::TimeValue(ns3::Seconds(1)));
  std::vector<Duration> rtts;
  ping->TraceConnectWithoutContext(
      "Rtt", ns3::Callback<void, ns3::Time>([&](ns3::Time rtt) { rtts.push_back(Duration::nanoseconds(rtt.GetNanoSeconds())); }));
  p.nodes.Get(0)->AddApplication(ping);
  ping->SetStartTime(ns3::Seconds(1));

  BOOST_TEST_REQUIRE(SimulationRun::run_until([&] { return rtts.size() >= 3; }, Duration::seconds(10)));

  // The name came from the simulated DNS, the handshake completed, and the
  // echo requests and replies each crossed the link once.
  BOOST_TEST(count_events(home_events, tunnel::EventKind::handshake_completed) >= 1u);
  TunnelStatus home = p.home->status();
  BOOST_TEST_REQUIRE(home.peers.front().stats.endpoint.has_value());
  BOOST_TEST(*home.peers.front().stats.endpoint == *Endpoint::parse("192.0.2.2:51820"));
  for (Duration rtt : rtts) {
    BOOST_TEST(rtt >= kLinkDelay * 2, format_duration(rtt));
    BOOST_TEST(rtt < kLinkDelay * 2 + Duration::milliseconds(5), format_duration(rtt));
  }
  TunnelStatus relay = p.relay->status();
  BOOST_TEST(relay.counters.packets_delivered >= 3u);  // requests, to ns-3's stack
  BOOST_TEST(home.counters.packets_delivered >= 3u);   // replies, from ns-3's ICMP
  BOOST_TEST(relay.peers.front().stats.endpoint->address() == *IpAddress::parse("192.0.2.1"));
  BOOST_TEST(relay.drops.total() == 0u);
  BOOST_TEST(home.drops.total() == 0u);
  const std::string shown = format_wg_show(home);
  BOOST_TEST(contains(shown, "  endpoint: 192.0.2.2:51820\n"), shown);
  BOOST_TEST(contains(shown, "  latest handshake: "), shown);
}

BOOST_AUTO_TEST_CASE(same_seed_same_keys) {
  // Every random byte comes from the Host: two runs with one seed draw the
  // same ephemeral keys, which the key log shows.
  auto run_once = [] {
    SimPair p;
    TunnelEndpointOptions options;
    options.key_log_file = "wg0.keylog";
    p.relay = SimPair::start(*p.relay_host, relay_conf());
    p.home = std::make_unique<TunnelEndpoint>(*p.home_host, parse_conf(home_conf("relay.sim.test:51820")), options);
    BOOST_TEST_REQUIRE(p.home->start().ok());
    SimulationRun::run_for(Duration::seconds(130));  // past the first rekey
    std::ifstream in(p.home_host->storage_root() / "wg0.keylog");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  const std::string first = run_once();
  BOOST_TEST(std::count(first.begin(), first.end(), '\n') >= 6);  // two handshakes
  BOOST_TEST(first == run_once());
}

BOOST_AUTO_TEST_SUITE_END()
