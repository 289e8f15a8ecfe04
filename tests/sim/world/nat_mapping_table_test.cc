// The NAT's mapping table on its own, with a manual clock: the RFC 4787
// mapping and filtering behaviours, timers and their refresh, TCP phases
// (RFC 5382), port assignment.

#include <boost/test/unit_test.hpp>

#include <set>

#include "sim/world/nat_mapping_table.h"

using namespace tether;
using namespace tether::sim;

namespace {

const IpAddress kPublic = *IpAddress::parse("198.51.100.7");
const Endpoint kInside = *Endpoint::parse("192.168.1.10:51820");
const Endpoint kRelay = *Endpoint::parse("203.0.113.10:51820");
const Endpoint kRelayOtherPort = *Endpoint::parse("203.0.113.10:4000");
const Endpoint kOther = *Endpoint::parse("198.18.0.10:51820");

Time at(std::int64_t seconds) { return Time::zero() + Duration::seconds(seconds); }

// A counter as the "random" source: deterministic and easy to follow.
struct Table {
  explicit Table(NatTableConfig config = {}) : table(config, [this] { return draws++ * 7919u; }) {}
  std::uint32_t draws = 0;
  NatMappingTable table;

  const NatMapping* out(const Endpoint& internal, const Endpoint& remote, Time now, std::uint8_t flags = 0,
                        NatProtocol protocol = NatProtocol::udp) {
    return table.outbound(protocol, internal, remote, kPublic, 2, flags, now).mapping;
  }
  NatInboundVerdict in(const Endpoint& external, const Endpoint& remote, Time now, std::uint8_t flags = 0,
                       NatProtocol protocol = NatProtocol::udp) {
    return table.inbound(protocol, external, remote, flags, now).verdict;
  }
};

NatTableConfig with(NatBehaviour mapping, NatBehaviour filtering) {
  NatTableConfig config;
  config.mapping = mapping;
  config.filtering = filtering;
  return config;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(nat_mapping_table)

BOOST_AUTO_TEST_CASE(endpoint_independent_mapping_reuses_one_external_port) {
  Table t(with(NatBehaviour::endpoint_independent, NatBehaviour::address_and_port_dependent));
  auto a = t.out(kInside, kRelay, at(0));
  auto b = t.out(kInside, kOther, at(1));
  BOOST_TEST_REQUIRE(a);
  BOOST_TEST(a == b);
  BOOST_TEST(a->external == Endpoint(kPublic, kInside.port()));  // preserved
  BOOST_TEST(t.table.size() == 1u);
  BOOST_TEST(a->sessions.size() == 2u);
}

BOOST_AUTO_TEST_CASE(address_and_port_dependent_mapping_gives_each_remote_its_own_port) {
  Table t(with(NatBehaviour::address_and_port_dependent, NatBehaviour::address_and_port_dependent));
  auto a = t.out(kInside, kRelay, at(0));
  auto b = t.out(kInside, kRelayOtherPort, at(0));
  auto c = t.out(kInside, kOther, at(0));
  BOOST_TEST(t.table.size() == 3u);
  std::set<std::uint16_t> ports{a->external.port(), b->external.port(), c->external.port()};
  BOOST_TEST(ports.size() == 3u);
  // The first keeps the internal port; the port is then taken.
  BOOST_TEST(a->external.port() == kInside.port());
}

BOOST_AUTO_TEST_CASE(address_dependent_mapping_shares_a_port_per_remote_address) {
  Table t(with(NatBehaviour::address_dependent, NatBehaviour::address_dependent));
  auto a = t.out(kInside, kRelay, at(0));
  auto b = t.out(kInside, kRelayOtherPort, at(0));
  auto c = t.out(kInside, kOther, at(0));
  BOOST_TEST(a == b);
  BOOST_TEST(a != c);
  BOOST_TEST(t.table.size() == 2u);
}

BOOST_AUTO_TEST_CASE(filtering_behaviours_differ_as_rfc_4787_says) {
  for (auto filtering : {NatBehaviour::endpoint_independent, NatBehaviour::address_dependent,
                         NatBehaviour::address_and_port_dependent}) {
    BOOST_TEST_CONTEXT(to_string(filtering)) {
      Table t(with(NatBehaviour::endpoint_independent, filtering));
      auto m = t.out(kInside, kRelay, at(0));
      const Endpoint external = m->external;
      BOOST_TEST((t.in(external, kRelay, at(1)) == NatInboundVerdict::pass));
      const bool same_address = t.in(external, kRelayOtherPort, at(1)) == NatInboundVerdict::pass;
      const bool other_address = t.in(external, kOther, at(1)) == NatInboundVerdict::pass;
      BOOST_TEST(same_address == (filtering != NatBehaviour::address_and_port_dependent));
      BOOST_TEST(other_address == (filtering == NatBehaviour::endpoint_independent));
      BOOST_TEST((t.in(Endpoint(kPublic, 1), kRelay, at(1)) == NatInboundVerdict::no_mapping));
    }
  }
}

BOOST_AUTO_TEST_CASE(udp_mapping_dies_after_its_idle_timeout_unless_refreshed_outbound) {
  Table t;  // UDP 30 s, outbound refresh only
  auto m = t.out(kInside, kRelay, at(0));
  const Endpoint external = m->external;
  BOOST_TEST(t.table.next_deadline() == at(30));
  BOOST_TEST(t.table.expire(at(29)).empty());
  // Inbound traffic does not refresh by default.
  BOOST_TEST((t.in(external, kRelay, at(20)) == NatInboundVerdict::pass));
  BOOST_TEST(t.table.next_deadline() == at(30));
  auto dead = t.table.expire(at(30));
  BOOST_TEST_REQUIRE(dead.size() == 1u);
  BOOST_TEST(dead[0].external == external);
  BOOST_TEST((t.in(external, kRelay, at(30)) == NatInboundVerdict::no_mapping));

  // A keepalive every 25 s keeps one mapping alive indefinitely.
  auto k = t.out(kInside, kRelay, at(100));
  for (int s = 125; s <= 400; s += 25) {
    BOOST_TEST(t.table.expire(at(s)).empty());
    BOOST_TEST(t.out(kInside, kRelay, at(s)) == k);
  }
  BOOST_TEST(t.table.size() == 1u);
}

// RFC 5508 REQ-1: an ICMP query mapping lives at least 60 s, twice UDP's
// 30 s here. The echo identifier stands in for the port; the remote has
// none (port 0), as the NAT on the node keys it.
BOOST_AUTO_TEST_CASE(icmp_query_mapping_dies_60s_after_the_last_outbound_echo) {
  Table t;
  const Endpoint echo_inside(kInside.address(), 0x7e7e);
  const Endpoint relay_icmp(kRelay.address(), 0);
  auto m = t.out(echo_inside, relay_icmp, at(0), 0, NatProtocol::icmp);
  BOOST_TEST_REQUIRE(m);
  const Endpoint external = m->external;
  BOOST_TEST(t.table.next_deadline() == at(60));
  // Past UDP's 30 s, still alive; replies still pass (but do not refresh).
  BOOST_TEST(t.table.expire(at(31)).empty());
  BOOST_TEST((t.in(external, relay_icmp, at(59), 0, NatProtocol::icmp) == NatInboundVerdict::pass));
  BOOST_TEST(t.table.expire(at(59)).empty());
  auto dead = t.table.expire(at(60));
  BOOST_TEST_REQUIRE(dead.size() == 1u);
  BOOST_TEST((dead[0].protocol == NatProtocol::icmp));
  BOOST_TEST(dead[0].external == external);
  BOOST_TEST((t.in(external, relay_icmp, at(60), 0, NatProtocol::icmp) == NatInboundVerdict::no_mapping));

  // An echo every 55 s keeps one mapping alive; each moves the death to 60 s later.
  auto k = t.out(echo_inside, relay_icmp, at(100), 0, NatProtocol::icmp);
  for (int s = 155; s <= 430; s += 55) {
    BOOST_TEST(t.table.expire(at(s)).empty());
    BOOST_TEST(t.out(echo_inside, relay_icmp, at(s), 0, NatProtocol::icmp) == k);
  }
  BOOST_TEST(t.table.expire(at(489)).empty());
  BOOST_TEST(t.table.expire(at(490)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(inbound_refresh_is_an_option) {
  NatTableConfig config;
  config.inbound_refresh = true;
  Table t(config);
  auto m = t.out(kInside, kRelay, at(0));
  const Endpoint external = m->external;
  BOOST_TEST((t.in(external, kRelay, at(20)) == NatInboundVerdict::pass));
  BOOST_TEST(t.table.expire(at(45)).empty());
  BOOST_TEST(t.table.expire(at(50)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(filtering_forgets_a_remote_whose_session_died) {
  Table t;  // APDF
  auto m = t.out(kInside, kRelay, at(0));
  const Endpoint external = m->external;
  t.out(kInside, kOther, at(20));  // keeps the mapping alive past 30 s
  BOOST_TEST(t.table.expire(at(35)).empty());
  BOOST_TEST((t.in(external, kRelay, at(35)) == NatInboundVerdict::filtered));
  BOOST_TEST((t.in(external, kOther, at(35)) == NatInboundVerdict::pass));
}

BOOST_AUTO_TEST_CASE(tcp_phases_choose_the_timeout) {
  NatTableConfig config;
  config.timeouts.tcp_established = Duration::seconds(7440);
  config.timeouts.tcp_transitory = Duration::seconds(240);
  Table t(config);
  const auto tcp = NatProtocol::tcp;
  // SYN out: transitory.
  auto m = t.out(kInside, kRelay, at(0), tcp_flag::syn, tcp);
  const Endpoint external = m->external;
  BOOST_TEST(m->expires_at(config.timeouts) == at(240));
  // SYN-ACK in: established, timer restarted.
  BOOST_TEST((t.in(external, kRelay, at(1), tcp_flag::syn | tcp_flag::ack, tcp) == NatInboundVerdict::pass));
  BOOST_TEST(m->expires_at(config.timeouts) == at(1 + 7440));
  t.out(kInside, kRelay, at(2), tcp_flag::ack, tcp);
  BOOST_TEST(m->expires_at(config.timeouts) == at(2 + 7440));
  // Idle for two hours: still there.
  BOOST_TEST(t.table.expire(at(7000)).empty());
  // FIN in: transitory again, from then.
  BOOST_TEST((t.in(external, kRelay, at(7000), tcp_flag::fin | tcp_flag::ack, tcp) == NatInboundVerdict::pass));
  BOOST_TEST(m->expires_at(config.timeouts) == at(7000 + 240));
  BOOST_TEST(t.table.next_deadline() <= at(7240));
  BOOST_TEST(t.table.expire(at(7239)).empty());
  BOOST_TEST(t.table.expire(at(7240)).size() == 1u);
}

BOOST_AUTO_TEST_CASE(tcp_picked_up_mid_stream_counts_as_established_and_rst_closes) {
  Table t;
  const auto tcp = NatProtocol::tcp;
  auto m = t.out(kInside, kRelay, at(0), tcp_flag::ack, tcp);
  BOOST_TEST(m->expires_at(t.table.config().timeouts) == at(7440));
  t.out(kInside, kRelay, at(10), tcp_flag::rst, tcp);
  BOOST_TEST(m->expires_at(t.table.config().timeouts) == at(10 + 240));
  // A new connection between the same endpoints starts over.
  t.out(kInside, kRelay, at(20), tcp_flag::syn, tcp);
  BOOST_TEST((t.in(m->external, kRelay, at(21), tcp_flag::syn | tcp_flag::ack, tcp) == NatInboundVerdict::pass));
  BOOST_TEST(m->expires_at(t.table.config().timeouts) == at(21 + 7440));
}

BOOST_AUTO_TEST_CASE(randomised_ports_stay_in_range_and_never_collide) {
  NatTableConfig config;
  config.port_preservation = false;
  config.port_min = 20000;
  config.port_max = 20009;
  Table t(config);
  std::set<std::uint16_t> ports;
  for (std::uint16_t i = 0; i < 10; ++i) {
    auto m = t.out(Endpoint(kInside.address(), std::uint16_t(1000 + i)), kRelay, at(0));
    BOOST_TEST_REQUIRE(m);
    BOOST_TEST(m->external.port() >= 20000);
    BOOST_TEST(m->external.port() <= 20009);
    ports.insert(m->external.port());
  }
  BOOST_TEST(ports.size() == 10u);
  // The range is full: no mapping, no port overloading.
  BOOST_TEST(!t.out(Endpoint(kInside.address(), 2000), kRelay, at(0)));
}

BOOST_AUTO_TEST_CASE(preservation_falls_back_to_a_random_port_when_taken) {
  Table t;
  auto a = t.out(kInside, kRelay, at(0));
  auto b = t.out(Endpoint(*IpAddress::parse("192.168.1.11"), kInside.port()), kRelay, at(0));
  BOOST_TEST(a->external.port() == kInside.port());
  BOOST_TEST(b->external.port() != kInside.port());
  BOOST_TEST(b->external.port() >= 1024);
}

BOOST_AUTO_TEST_CASE(another_uplink_replaces_the_mapping) {
  Table t;
  auto first = t.table.outbound(NatProtocol::udp, kInside, kRelay, kPublic, 2, 0, at(0));
  BOOST_TEST(first.created);
  const IpAddress lte = *IpAddress::parse("192.0.2.100");
  auto second = t.table.outbound(NatProtocol::udp, kInside, kRelay, lte, 3, 0, at(1));
  BOOST_TEST(second.created);
  BOOST_TEST_REQUIRE(second.replaced.has_value());
  BOOST_TEST(second.replaced->wan_interface == 2u);
  BOOST_TEST(second.mapping->external == Endpoint(lte, kInside.port()));
  BOOST_TEST(t.table.size() == 1u);
  BOOST_TEST(t.table.drop_wan_interface(3).size() == 1u);
  BOOST_TEST(t.table.next_deadline().is_never());
}

BOOST_AUTO_TEST_SUITE_END()
