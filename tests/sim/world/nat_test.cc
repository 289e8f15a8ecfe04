// The NAT on an ns-3 node, with traffic from Ns3Host sockets: mappings and
// their expiry, filtering and mapping behaviours, port assignment, TCP
// phases, flush and reboot, ICMP echo, hairpinning, and checksums that a
// packet dissector accepts after translation.

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <set>

#include <ns3/application-container.h>
#include <ns3/ipv4-address.h>
#include <ns3/nstime.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/v4ping-helper.h>

#include "sim/host/ns3_address.h"
#include "sim/world/pcap_checksums.h"
#include "sim/world/static_routes.h"
#include "sim/world/world_fixture.h"
#include "support/ipv4_icmp.h"
#include "support/test_skip.h"

using namespace tether;
using namespace tether::testing;
using sim::NatBehaviour;
using sim::NatEventKind;
using sim::NatProtocol;

namespace {

const Endpoint kRelayEcho(kRelay, 7);
const Endpoint kOtherEcho(kOther, 7);

WorldOptions nat_options(NatBehaviour mapping, NatBehaviour filtering) {
  WorldOptions options;
  options.nat.mapping = mapping;
  options.nat.filtering = filtering;
  return options;
}

const sim::NatEvent* last(const std::vector<sim::NatEvent>& events, NatEventKind kind) {
  for (auto it = events.rbegin(); it != events.rend(); ++it)
    if (it->kind == kind) return &*it;
  return nullptr;
}

// One UDP exchange home -> relay echo; returns the home's external endpoint
// as the relay saw it.
Endpoint exchange(World& w, UdpClient& client, UdpEcho& echo, const Endpoint& to = kRelayEcho) {
  const std::size_t seen = echo.seen.size(), got = client.got.size();
  client.send(to, "ping");
  BOOST_TEST_REQUIRE(w.run_until([&] { return client.got.size() > got; }, Duration::seconds(1)));
  BOOST_TEST_REQUIRE(echo.seen.size() == seen + 1);
  return echo.seen.back().from;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(nat)

BOOST_AUTO_TEST_CASE(outbound_udp_creates_a_mapping_and_the_reply_comes_back) {
  World w;
  UdpEcho echo(*w.relay_host, 7);
  UdpClient client(*w.home_host, 40000);
  const Endpoint external = exchange(w, client, echo);
  // Port preservation is the default.
  BOOST_TEST(external == Endpoint(w.public_address(), 40000));
  BOOST_TEST(client.got[0].from == kRelayEcho);
  BOOST_TEST(client.got[0].payload == "ping");
  const auto& c = w.nat->counters();
  BOOST_TEST(c.mappings_created == 1u);
  BOOST_TEST(c.translated_outbound == 1u);
  BOOST_TEST(c.translated_inbound == 1u);
  BOOST_TEST_REQUIRE(w.nat_events.size() == 1u);
  const auto& e = w.nat_events[0];
  BOOST_TEST((e.kind == NatEventKind::mapping_created));
  BOOST_TEST((e.protocol == NatProtocol::udp));
  BOOST_TEST(e.internal == Endpoint(kHomeLan, 40000));
  BOOST_TEST(e.external == external);
  BOOST_TEST(e.remote == kRelayEcho);
  BOOST_TEST(e.wan_interface == w.gateway_wan);
}

BOOST_AUTO_TEST_CASE(idle_udp_mapping_expires_after_30s_and_inbound_is_dropped_and_counted) {
  World w;
  UdpEcho echo(*w.relay_host, 7);
  UdpClient client(*w.home_host, 40000);
  const Endpoint external = exchange(w, client, echo);
  const Time created = w.nat_events.at(0).at;
  w.run_for(created + Duration::seconds(30) - Duration::milliseconds(1) - World::now());
  BOOST_TEST(w.nat->table().size() == 1u);
  w.run_for(Duration::milliseconds(2));
  BOOST_TEST(w.nat->table().size() == 0u);
  BOOST_TEST(w.nat->counters().mappings_expired == 1u);
  const auto* expired = last(w.nat_events, NatEventKind::mapping_expired);
  BOOST_TEST_REQUIRE(expired);
  BOOST_TEST(expired->at - created == Duration::seconds(30));
  BOOST_TEST(expired->external == external);

  // The relay writes to where the home was: the NAT drops it.
  BOOST_TEST(echo.socket->send_to(external, ByteView(std::string_view("late"))).ok());
  w.run_for(Duration::seconds(1));
  BOOST_TEST(client.got.size() == 1u);
  BOOST_TEST(w.nat->counters().no_mapping(NatProtocol::udp) == 1u);
  const auto* dropped = last(w.nat_events, NatEventKind::packet_dropped);
  BOOST_TEST_REQUIRE(dropped);
  BOOST_TEST((dropped->reason == sim::NatDropReason::no_mapping));
  BOOST_TEST(dropped->remote == kRelayEcho);
  BOOST_TEST(dropped->external == external);
}

BOOST_AUTO_TEST_CASE(keepalive_every_25s_keeps_the_mapping) {
  World w;
  UdpEcho echo(*w.relay_host, 7);
  echo.answer = false;
  UdpClient client(*w.home_host, 40000);
  Endpoint external;
  for (int i = 0; i < 5; ++i) {
    client.send(kRelayEcho, "keepalive");
    w.run_for(Duration::seconds(25));
    external = echo.seen.back().from;
  }
  // 125 s after the first packet, 25 s after the last one: still mapped.
  BOOST_TEST(echo.socket->send_to(external, ByteView(std::string_view("mail for you"))).ok());
  w.run_for(Duration::milliseconds(100));
  BOOST_TEST_REQUIRE(client.got.size() == 1u);
  BOOST_TEST(client.got[0].payload == "mail for you");
  BOOST_TEST(w.nat->counters().mappings_created == 1u);
  BOOST_TEST(w.nat->counters().mappings_expired == 0u);
  for (const auto& seen : echo.seen) BOOST_TEST(seen.from == external);
}

BOOST_AUTO_TEST_CASE(filtering_differs_as_rfc_4787_says) {
  struct Case {
    NatBehaviour filtering;
    bool same_address_other_port, other_address;
  };
  for (const Case& k : {Case{NatBehaviour::endpoint_independent, true, true},
                        Case{NatBehaviour::address_dependent, true, false},
                        Case{NatBehaviour::address_and_port_dependent, false, false}}) {
    BOOST_TEST_CONTEXT(to_string(k.filtering)) {
      World w(nat_options(NatBehaviour::endpoint_independent, k.filtering));
      UdpEcho echo(*w.relay_host, 7);
      UdpEcho relay_other_port(*w.relay_host, 8);
      UdpEcho other(*w.other_host, 7);
      UdpClient client(*w.home_host, 40000);
      const Endpoint external = exchange(w, client, echo);
      BOOST_TEST(relay_other_port.socket->send_to(external, ByteView(std::string_view("same address"))).ok());
      BOOST_TEST(other.socket->send_to(external, ByteView(std::string_view("other address"))).ok());
      w.run_for(Duration::milliseconds(200));
      std::set<std::string> got;
      for (const auto& g : client.got) got.insert(g.payload);
      BOOST_TEST(got.count("same address") == std::size_t(k.same_address_other_port));
      BOOST_TEST(got.count("other address") == std::size_t(k.other_address));
      const std::size_t filtered = !k.same_address_other_port + !k.other_address;
      BOOST_TEST(w.nat->counters().filtered(NatProtocol::udp) == filtered);
      BOOST_TEST(w.nat->counters().no_mapping(NatProtocol::udp) == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(endpoint_independent_mapping_shows_one_endpoint_to_every_remote) {
  for (auto mapping : {NatBehaviour::endpoint_independent, NatBehaviour::address_and_port_dependent}) {
    BOOST_TEST_CONTEXT(to_string(mapping)) {
      World w(nat_options(mapping, NatBehaviour::address_and_port_dependent));
      UdpEcho relay(*w.relay_host, 7);
      UdpEcho other(*w.other_host, 7);
      UdpClient client(*w.home_host, 40000);
      const Endpoint seen_by_relay = exchange(w, client, relay, kRelayEcho);
      const Endpoint seen_by_other = exchange(w, client, other, kOtherEcho);
      BOOST_TEST(seen_by_relay.address() == seen_by_other.address());
      BOOST_TEST((seen_by_relay.port() == seen_by_other.port()) == (mapping == NatBehaviour::endpoint_independent));
      BOOST_TEST(w.nat->counters().mappings_created == (mapping == NatBehaviour::endpoint_independent ? 1u : 2u));
    }
  }
}

BOOST_AUTO_TEST_CASE(port_preservation_or_seeded_randomisation) {
  auto external_ports = [](std::uint64_t seed, bool preserve) {
    WorldOptions options;
    options.seed = seed;
    options.nat.port_preservation = preserve;
    World w(options);
    UdpEcho echo(*w.relay_host, 7);
    std::vector<std::uint16_t> ports;
    for (std::uint16_t p = 40000; p < 40005; ++p) {
      UdpClient client(*w.home_host, p);
      ports.push_back(exchange(w, client, echo).port());
    }
    return ports;
  };
  const std::vector<std::uint16_t> preserved{40000, 40001, 40002, 40003, 40004};
  BOOST_TEST(external_ports(1, true) == preserved, boost::test_tools::per_element());
  const auto random1 = external_ports(1, false);
  BOOST_TEST((random1 != preserved));
  for (auto port : random1) BOOST_TEST(port >= 1024);
  // Same seed, same ports; another seed, others.
  BOOST_TEST(external_ports(1, false) == random1, boost::test_tools::per_element());
  BOOST_TEST((external_ports(2, false) != random1));
}

BOOST_AUTO_TEST_CASE(tcp_through_the_nat_with_established_and_transitory_timeouts) {
  WorldOptions options;
  options.nat.timeouts.tcp_established = Duration::seconds(100);
  options.nat.timeouts.tcp_transitory = Duration::seconds(20);
  World w(options);
  std::unique_ptr<TcpStream> accepted;
  std::string server_got;
  auto listener = w.relay_host->tcp_listen(Endpoint(IpAddress(), 25), [&](std::unique_ptr<TcpStream> stream) {
    accepted = std::move(stream);
    TcpStream::Handlers h;
    h.on_data = [&](ByteView data) {
      server_got += std::string(data.as_string());
      accepted->write(data);
    };
    accepted->set_handlers(std::move(h));
  });
  BOOST_TEST_REQUIRE(listener.ok());
  std::string client_got;
  TcpStream* raw = nullptr;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) {
    BOOST_TEST_REQUIRE(r.ok());
    raw->write(ByteView(std::string_view("EHLO home\r\n")));
  };
  h.on_data = [&](ByteView data) { client_got += std::string(data.as_string()); };
  auto client = w.home_host->tcp_connect(Endpoint(kRelay, 25), std::move(h));
  raw = client.get();
  BOOST_TEST_REQUIRE(w.run_until([&] { return client_got == "EHLO home\r\n"; }, Duration::seconds(2)));
  BOOST_TEST(accepted->remote_endpoint() == Endpoint(w.public_address(), client->local_endpoint().port()));
  BOOST_TEST_REQUIRE(w.nat->table().size() == 1u);
  BOOST_TEST((w.nat->table().mappings()[0]->protocol == NatProtocol::tcp));
  const Time last_packet = World::now();

  // Idle longer than the transitory timeout: an established connection stays.
  w.run_for(Duration::seconds(50));
  BOOST_TEST(w.nat->table().size() == 1u);
  // Idle longer than the established one: gone.
  w.run_for(Duration::seconds(60));
  BOOST_TEST(w.nat->table().size() == 0u);
  const auto* expired = last(w.nat_events, NatEventKind::mapping_expired);
  BOOST_TEST_REQUIRE(expired);
  // 100 s from the home's last segment, its delayed ACK of the echo.
  BOOST_TEST(expired->at - last_packet >= Duration::seconds(100));
  BOOST_TEST(expired->at - last_packet <= Duration::seconds(100) + Duration::milliseconds(500));
  // The relay's next segment finds no mapping.
  accepted->write(ByteView(std::string_view("250 late\r\n")));
  w.run_for(Duration::seconds(5));
  BOOST_TEST(client_got == "EHLO home\r\n");
  BOOST_TEST(w.nat->counters().no_mapping(NatProtocol::tcp) >= 1u);

  // A closed connection's mapping lives for the transitory timeout only.
  std::unique_ptr<TcpStream> second_accepted;
  bool server_saw_eof = false, client_saw_eof = false;
  listener = w.relay_host->tcp_listen(Endpoint(IpAddress(), 587), [&](std::unique_ptr<TcpStream> stream) {
    second_accepted = std::move(stream);
    TcpStream::Handlers sh;
    sh.on_closed = [&](const Error&) {
      server_saw_eof = true;
      second_accepted->shutdown_write();
    };
    second_accepted->set_handlers(std::move(sh));
  });
  BOOST_TEST_REQUIRE(listener.ok());
  TcpStream* raw2 = nullptr;
  TcpStream::Handlers h2;
  h2.on_connected = [&](Result<void> r) {
    BOOST_TEST_REQUIRE(r.ok());
    raw2->shutdown_write();
  };
  h2.on_closed = [&](const Error&) { client_saw_eof = true; };
  auto second = w.home_host->tcp_connect(Endpoint(kRelay, 587), std::move(h2));
  raw2 = second.get();
  BOOST_TEST_REQUIRE(w.run_until([&] { return server_saw_eof && client_saw_eof; }, Duration::seconds(2)));
  w.run_for(Duration::milliseconds(500));  // the last ACK
  const Time closed = World::now();
  BOOST_TEST(w.nat->table().size() == 1u);
  w.run_for(Duration::seconds(21));
  BOOST_TEST(w.nat->table().size() == 0u);
  expired = last(w.nat_events, NatEventKind::mapping_expired);
  BOOST_TEST(expired->at - closed <= Duration::seconds(20));
  BOOST_TEST(expired->at - closed >= Duration::seconds(19));
}

BOOST_AUTO_TEST_CASE(flush_and_reboot_drop_every_mapping) {
  World w;
  UdpEcho echo(*w.relay_host, 7);
  UdpClient client(*w.home_host, 40000);
  const Endpoint external = exchange(w, client, echo);

  w.nat->flush_mappings();
  BOOST_TEST(w.nat->table().size() == 0u);
  BOOST_TEST(w.nat->counters().mappings_flushed == 1u);
  const auto* flushed = last(w.nat_events, NatEventKind::mapping_flushed);
  BOOST_TEST_REQUIRE(flushed);
  BOOST_TEST((flushed->cause == sim::NatFlushCause::flush));
  BOOST_TEST(echo.socket->send_to(external, ByteView(std::string_view("after flush"))).ok());
  w.run_for(Duration::milliseconds(100));
  BOOST_TEST(client.got.size() == 1u);
  BOOST_TEST(w.nat->counters().no_mapping(NatProtocol::udp) == 1u);
  // The home's next packet makes a new mapping.
  BOOST_TEST(exchange(w, client, echo) == external);
  BOOST_TEST(w.nat->counters().mappings_created == 2u);

  const ns3::Ipv4Address rebooted("198.51.100.200");
  w.nat->reboot(rebooted);
  BOOST_TEST(w.nat->public_address() == rebooted);
  BOOST_TEST(w.nat->table().size() == 0u);
  BOOST_TEST((last(w.nat_events, NatEventKind::mapping_flushed)->cause == sim::NatFlushCause::reboot));
  auto route = sim::default_route(w.gateway);
  BOOST_TEST_REQUIRE(route.has_value());
  BOOST_TEST(route->interface == w.gateway_wan);
  // Out through the new address (the ISP, not told, does not route it back).
  client.send(kRelayEcho, "rebooted");
  w.run_for(Duration::milliseconds(100));
  BOOST_TEST(echo.seen.back().from == Endpoint(sim::from_ns3(rebooted), 40000));
}

BOOST_AUTO_TEST_CASE(icmp_echo_identifier_is_translated_both_ways) {
  WorldOptions options;
  options.nat.port_preservation = false;
  World w(options);
  ns3::V4PingHelper ping(ns3::Ipv4Address("203.0.113.10"));
  ping.SetAttribute("Interval", ns3::TimeValue(ns3::Seconds(1)));
  auto apps = ping.Install(w.home);
  std::vector<ns3::Time> rtts;
  apps.Get(0)->TraceConnectWithoutContext("Rtt", ns3::MakeCallback(
                                                     +[](std::vector<ns3::Time>* out, ns3::Time rtt) { out->push_back(rtt); })
                                                     .Bind(&rtts));
  apps.Start(ns3::Seconds(0));
  apps.Stop(ns3::Seconds(3.5));
  w.run_for(Duration::seconds(4));
  // V4Ping only counts replies that carry its identifier (0) again.
  BOOST_TEST(rtts.size() == 4u);
  BOOST_TEST(w.nat->counters().translated_inbound == 4u);
  BOOST_TEST_REQUIRE(w.nat->table().size() == 1u);
  const auto* mapping = w.nat->table().mappings()[0];
  BOOST_TEST((mapping->protocol == NatProtocol::icmp));
  BOOST_TEST(mapping->internal.port() == 0u);
  BOOST_TEST(mapping->external.port() != 0u);

  // The router answers pings to its public address itself.
  ns3::V4PingHelper to_router(sim::to_ns3_v4(w.public_address()));
  auto router_apps = to_router.Install(w.relay);
  std::vector<ns3::Time> router_rtts;
  router_apps.Get(0)->TraceConnectWithoutContext(
      "Rtt", ns3::MakeCallback(+[](std::vector<ns3::Time>* out, ns3::Time rtt) { out->push_back(rtt); })
                 .Bind(&router_rtts));
  router_apps.Start(ns3::Seconds(0));
  router_apps.Stop(ns3::Seconds(0.5));
  w.run_for(Duration::seconds(2));
  BOOST_TEST(router_rtts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(hairpinning_reaches_a_lan_host_by_its_public_endpoint) {
  World w(nat_options(NatBehaviour::endpoint_independent, NatBehaviour::endpoint_independent));
  UdpEcho echo(*w.relay_host, 7);
  UdpClient a(*w.home_host, 40000), b(*w.home_host, 40001);
  const Endpoint a_external = exchange(w, a, echo);
  b.send(a_external, "hairpin");
  w.run_for(Duration::milliseconds(50));
  BOOST_TEST_REQUIRE(a.got.size() == 2u);
  BOOST_TEST(a.got[1].payload == "hairpin");
  // The sender appears by its own external endpoint (RFC 4787 REQ-9).
  BOOST_TEST(a.got[1].from == Endpoint(w.public_address(), 40001));
  BOOST_TEST(w.nat->counters().hairpinned == 1u);
}

BOOST_AUTO_TEST_CASE(translated_packets_have_valid_checksums) {
  TempDirectory pcaps("tether-nat-pcap");
  const auto wan_file = pcaps.path() / "nat-wan.pcap", lan_file = pcaps.path() / "nat-lan.pcap";
  IpAddress public_address;
  {
    WorldOptions options;
    options.nat.port_preservation = false;  // ports (and ICMP identifiers) really change
    World w(options);
    public_address = w.public_address();
    ns3::PointToPointHelper pcap;
    pcap.EnablePcap(wan_file.string(), w.uplink.device(0), false, true);
    pcap.EnablePcap(lan_file.string(), w.lan_link.device(1), false, true);

    UdpEcho echo(*w.relay_host, 7);
    UdpClient client(*w.home_host, 40000);
    for (int i = 0; i < 3; ++i) exchange(w, client, echo);
    // An odd-length payload exercises the checksum's padding byte.
    client.send(kRelayEcho, "odd");
    w.run_for(Duration::milliseconds(100));

    std::unique_ptr<TcpStream> accepted;
    auto listener = w.relay_host->tcp_listen(Endpoint(IpAddress(), 25), [&](std::unique_ptr<TcpStream> stream) {
      accepted = std::move(stream);
      TcpStream::Handlers h;
      h.on_data = [&](ByteView data) { accepted->write(data); };
      accepted->set_handlers(std::move(h));
    });
    BOOST_TEST_REQUIRE(listener.ok());
    std::string got;
    TcpStream* raw = nullptr;
    TcpStream::Handlers h;
    h.on_connected = [&](Result<void>) { raw->write(ByteView(std::string_view("DATA\r\nsome mail\r\n.\r\n"))); };
    h.on_data = [&](ByteView data) { got += std::string(data.as_string()); };
    auto stream = w.home_host->tcp_connect(Endpoint(kRelay, 25), std::move(h));
    raw = stream.get();
    BOOST_TEST_REQUIRE(w.run_until([&] { return got.size() == 20; }, Duration::seconds(2)));

    ns3::V4PingHelper ping(ns3::Ipv4Address("203.0.113.10"));
    auto apps = ping.Install(w.home);
    // Application times count from its installation.
    apps.Start(ns3::Seconds(0));
    apps.Stop(ns3::Seconds(1.5));
    w.run_for(Duration::seconds(2));
    stream.reset();
    accepted.reset();
  }
  for (const auto& file : {wan_file, lan_file}) {
    BOOST_TEST_CONTEXT(file.filename()) {
      auto report = check_pcap_checksums(file);
      BOOST_TEST(report.problems.empty(), report.problems.size() << " problems, first: "
                                                                 << (report.problems.empty() ? "" : report.problems[0]));
      BOOST_TEST(report.udp >= 8u);
      BOOST_TEST(report.tcp >= 6u);
      BOOST_TEST(report.icmp >= 4u);
      auto verdict = tshark_checksums(file);
      if (!verdict) {
        tether::testing::skip("tshark (Debian package tshark) is not installed: its checksum check did not run");
      } else {
        BOOST_TEST(verdict->packets == int(report.packets));
        BOOST_TEST(verdict->bad == 0);
      }
    }
  }
  // The uplink only ever carries the public address; the LAN only the private one.
  auto wan = check_pcap_checksums(wan_file), lan = check_pcap_checksums(lan_file);
  BOOST_TEST(wan.sources.count(kHomeLan) == 0u);
  BOOST_TEST(wan.sources.count(public_address) > 0u);
  BOOST_TEST(wan.destinations.count(public_address) > 0u);
  BOOST_TEST(lan.sources.count(public_address) == 0u);
  BOOST_TEST(lan.destinations.count(kHomeLan) > 0u);
}

BOOST_AUTO_TEST_CASE(the_checksum_checker_catches_a_corrupt_packet) {
  // So that the test above cannot pass by reading nothing.
  TempDirectory dir("tether-pcap-check");
  IcmpEcho echo;
  echo.source = kHomeLan;
  echo.destination = kRelay;
  echo.identifier = 7;
  echo.payload = Bytes(11, 0x5a);
  auto write = [&](const std::filesystem::path& path, bool corrupt) {
    Bytes packet = build_icmp_echo(echo);
    if (corrupt) packet.back() ^= 1;
    Bytes file = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 9, 0, 0, 0};
    const auto length = std::uint8_t(packet.size() + 2);
    Bytes record = {0, 0, 0, 0, 0, 0, 0, 0, length, 0, 0, 0, length, 0, 0, 0, 0x00, 0x21};
    append(file, record);
    append(file, packet);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));
  };
  write(dir.path() / "good.pcap", false);
  write(dir.path() / "bad.pcap", true);
  auto good = check_pcap_checksums(dir.path() / "good.pcap");
  BOOST_TEST(good.icmp == 1u);
  BOOST_TEST(good.problems.empty());
  auto bad = check_pcap_checksums(dir.path() / "bad.pcap");
  BOOST_TEST(bad.icmp == 1u);
  BOOST_TEST(bad.problems.size() == 1u);
  if (auto verdict = tshark_checksums(dir.path() / "bad.pcap")) {
    BOOST_TEST(verdict->packets == 1);
    BOOST_TEST(verdict->bad == 1);
  } else {
    tether::testing::skip("tshark (Debian package tshark) is not installed: its verdict was not checked");
  }
}

BOOST_AUTO_TEST_SUITE_END()
