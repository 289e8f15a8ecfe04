// conntrack's event and table lines (conntrack-tools 1.4.7, as captured
// here in a namespace) read into the simulation's NAT events, bad lines
// refused with a reason; the ISP's later draws against the simulation's.

#include <boost/test/unit_test.hpp>

#include "lab/events/conntrack_event.h"
#include "lab/events/isp_draws.h"
#include "lab/world/sim_draws.h"

namespace tether::lab {
namespace {

using Kind = scenario::NatObservation::Kind;

const char* kNewUdp =
    "    [NEW] udp      17 30 src=192.168.1.10 dst=203.0.113.10 sport=51820 dport=51820 [UNREPLIED] "
    "src=203.0.113.10 dst=198.51.100.102 sport=51820 dport=51820";
const char* kExpiredUdp =
    "[DESTROY] udp      17 src=192.168.1.10 dst=203.0.113.10 sport=51820 dport=51820 "
    "src=203.0.113.10 dst=198.51.100.102 sport=51820 dport=51820";
const char* kDeletedIcmp =
    "[DESTROY] icmp     1 29 src=192.168.1.10 dst=203.0.113.10 type=8 code=0 id=17899 src=203.0.113.10 "
    "dst=198.51.100.102 type=0 code=0 id=17899 [USERSPACE] portid=3340150578 progname=conntrack";
const char* kListedLocal =
    "icmp     1 29 src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=17899 src=127.0.0.1 dst=127.0.0.1 type=0 code=0 "
    "id=17899 mark=0 use=1";

BOOST_AUTO_TEST_SUITE(conntrack_lines)

BOOST_AUTO_TEST_CASE(a_new_udp_flow_through_the_nat_is_a_mapping_created) {
  auto flow = parse_conntrack_line(kNewUdp);
  BOOST_TEST_REQUIRE(flow.ok(), (flow.ok() ? "" : flow.error().to_string()));
  BOOST_TEST(flow->protocol == "udp");
  BOOST_TEST(flow->translated());
  auto o = nat_observation(*flow, Time::zero() + Duration::seconds(3));
  BOOST_TEST_REQUIRE(o.has_value());
  BOOST_TEST(int(o->kind) == int(Kind::mapping_created));
  BOOST_TEST(o->internal.to_string() == "192.168.1.10:51820");
  BOOST_TEST(o->external.to_string() == "198.51.100.102:51820");
}

BOOST_AUTO_TEST_CASE(the_kernels_destroy_is_an_expiry_a_tools_is_not) {
  auto expired = parse_conntrack_line(kExpiredUdp);
  BOOST_TEST_REQUIRE(expired.ok());
  BOOST_TEST(int(nat_observation(*expired, Time::zero())->kind) == int(Kind::mapping_expired));
  auto deleted = parse_conntrack_line(kDeletedIcmp);
  BOOST_TEST_REQUIRE(deleted.ok(), (deleted.ok() ? "" : deleted.error().to_string()));
  BOOST_TEST(deleted->by_userspace);
  BOOST_TEST(!nat_observation(*deleted, Time::zero()).has_value());
  // ICMP's "port" is the echo identifier, as the simulated NAT maps it.
  const auto flushed = flushed_observation(*deleted, Time::zero(), "flush");
  BOOST_TEST(flushed.external.to_string() == "198.51.100.102:17899");
  BOOST_TEST(flushed.protocol == "icmp");
}

BOOST_AUTO_TEST_CASE(untranslated_flows_are_no_mappings) {
  auto local = parse_conntrack_line(kListedLocal);
  BOOST_TEST_REQUIRE(local.ok(), (local.ok() ? "" : local.error().to_string()));
  BOOST_TEST(!local->translated());
}

BOOST_AUTO_TEST_CASE(bad_lines_say_why) {
  for (const auto& [line, why] : std::vector<std::pair<std::string, std::string>>{
           {"", "an empty line"},
           {"conntrack v1.4.7 (conntrack-tools): 2 flow events have been shown.", "no reply tuple"},
           {"[NEW] udp 17 30 src=192.168.1.10 dst=203.0.113.10 sport=1 dport=2", "no reply tuple"},
           {"[NEW] udp 17 30 src=192.168.1.999 dst=1.2.3.4 sport=1 dport=2 src=1.2.3.4 dst=5.6.7.8 sport=2 dport=1",
            "bad address '192.168.1.999'"},
           {"[NEW] udp 17 30 src=1.2.3.4 dst=1.2.3.4 sport=1 src=1.2.3.4 dst=5.6.7.8 sport=2 dport=1",
            "an incomplete udp tuple"},
           {"[NEW] tcp 6 30 src=1.2.3.4 dst=1.2.3.4 sport=99999 dport=1 src=1.2.3.4 dst=5.6.7.8 sport=2 dport=1",
            "bad port '99999'"}}) {
    auto r = parse_conntrack_line(line);
    BOOST_TEST_REQUIRE(!r.ok(), line);
    BOOST_TEST(r.error().message == why, line);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(isp_draws)

// tether-sim scenarios/ip-change.yaml --set duration=2h --set isp.change_every=1h
// (seed 1) writes "isp-address,uplink 198.51.100.102 -> 198.51.100.100" at 3600 s.
BOOST_AUTO_TEST_CASE(the_first_change_is_the_simulations) {
  std::vector<IpAddress> pool;
  for (const char* a : {"198.51.100.100", "198.51.100.101", "198.51.100.102", "198.51.100.103"})
    pool.push_back(*IpAddress::parse(a));
  // ip-change's gateway is ns-3 node 4 (the internet router, three hosts).
  const IpAddress first = first_isp_address(pool, 1, 4);
  BOOST_TEST(first.to_string() == "198.51.100.102");
  IspAddressDraws draws(pool, 1, 4);
  const IpAddress next = draws.next_other(first);
  BOOST_TEST(next.to_string() == "198.51.100.100");
  // Never the current address; a pool of one never changes.
  IpAddress at = next;
  for (int i = 0; i < 20; ++i) {
    const IpAddress n = draws.next_other(at);
    BOOST_TEST(!(n == at));
    at = n;
  }
  IspAddressDraws one({first}, 1, 4);
  BOOST_TEST(one.next_other(first) == first);
}

// IspPrefix sorts its pool by text before any draw: a pool written in
// another order draws the same prefixes (ip-change-v6's first is
// 3fff:400::/56, its first change 3fff:200::/56 in tether-sim).
BOOST_AUTO_TEST_CASE(a_prefix_pool_in_any_order_draws_the_simulations_prefixes) {
  std::vector<IpPrefix> pool;
  for (const char* p : {"3fff:400::/56", "3fff:300::/56", "3fff:200::/56", "3fff:100::/56"})
    pool.push_back(*IpPrefix::parse(p));
  const IpPrefix first = first_delegated_prefix(pool, 1, 4);
  BOOST_TEST(first.to_string() == "3fff:400::/56");
  BOOST_TEST(IspPrefixDraws(pool, 1, 4).next_other(first).to_string() == "3fff:200::/56");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
