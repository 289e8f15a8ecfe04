// The lab world's plan, without root: the addresses and routes the lab
// gives a shipped scenario's nodes (the simulation's numbering,
// sim/scenario_world_topology.cc), the NAT it would make or the fields it
// refuses (nat_plan.h), and the zone dnsmasq would serve.

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "lab/world/nat_plan.h"
#include "lab/world/world_plan.h"
#include "lab/world/world_record.h"
#include "lab/world/world_scenarios.h"
#include "lab/world/zone_config.h"
#include "scenario/scenario_parser.h"

namespace tether::lab {
namespace {

using testing::linux_nat;
using testing::load_shipped;

std::vector<std::string> addresses_of(const WorldPlan& plan, const std::string& node) {
  std::vector<std::string> out;
  for (const PlannedAddress& a : plan.node(node)->addresses) out.push_back(a.interface + " " + a.address.to_string());
  return out;
}

bool has_route(const WorldPlan& plan, const std::string& node, const std::string& text) {
  for (const PlannedRoute& r : plan.node(node)->routes) {
    std::string t = r.blackhole ? "blackhole " + r.destination : r.destination;
    if (r.via) t += " via " + r.via->to_string();
    if (!r.device.empty()) t += " dev " + r.device;
    if (t == text) return true;
  }
  return false;
}

BOOST_AUTO_TEST_SUITE(lab_world_plan)

BOOST_AUTO_TEST_CASE(nat_expiry_is_numbered_as_the_simulation_numbers_it) {
  const scenario::Scenario s = load_shipped("nat-expiry", linux_nat());
  auto plan = plan_world(s, "tltest-");
  BOOST_TEST_REQUIRE(plan.ok());
  std::vector<std::string> names;
  for (const PlannedNode& n : plan->nodes) names.push_back(n.ns);
  const std::vector<std::string> expected_names{"tltest-internet", "tltest-sender", "tltest-sender-submission",
                                                "tltest-namorar", "tltest-carinho", "tltest-gateway"};
  BOOST_TEST(names == expected_names, boost::test_tools::per_element());
  // Each public host on its /24 with the router at .1; the sender's
  // submission node on 10.255.1.0/24.
  BOOST_TEST(addresses_of(*plan, "sender") ==
                 (std::vector<std::string>{"sender-0 198.18.0.10/24", "link1-1 10.255.1.2/24"}),
             boost::test_tools::per_element());
  BOOST_TEST(addresses_of(*plan, "sender-submission") == (std::vector<std::string>{"link1-0 10.255.1.1/24"}),
             boost::test_tools::per_element());
  BOOST_TEST(has_route(*plan, "namorar", "default via 203.0.113.1 dev namorar-0"));
  BOOST_TEST(addresses_of(*plan, "carinho") == (std::vector<std::string>{"lan-0 192.168.1.10/24"}),
             boost::test_tools::per_element());
  BOOST_TEST(has_route(*plan, "carinho", "default via 192.168.1.1 dev lan-0"));
  // The ISP's address, drawn as the simulation draws it, on a /32 line.
  BOOST_TEST_REQUIRE(plan->isp_address.has_value());
  const std::string isp = plan->isp_address->to_string();
  BOOST_TEST(addresses_of(*plan, "gateway") ==
                 (std::vector<std::string>{"lan-1 192.168.1.1/24", "uplink-0 " + isp + "/32"}),
             boost::test_tools::per_element());
  BOOST_TEST(has_route(*plan, "gateway", "default via 100.64.0.1 dev uplink-0"));
  BOOST_TEST(has_route(*plan, "internet", isp + "/32 dev uplink-1"));
  int blackholes = 0;
  for (const std::string a : {"198.51.100.100", "198.51.100.101", "198.51.100.102", "198.51.100.103"})
    blackholes += has_route(*plan, "internet", "blackhole " + a + "/32");
  BOOST_TEST(blackholes == 3);  // the pool but the address in use
  // Links carry the simulation's capture names, end 0 at the host.
  const PlannedLink* uplink = plan->link("uplink");
  BOOST_TEST_REQUIRE(uplink != nullptr);
  BOOST_TEST(uplink->node[0] == "gateway");
  BOOST_TEST_REQUIRE(uplink->spec != nullptr);
  BOOST_TEST(uplink->spec->delay->whole_milliseconds() == 10);
}

BOOST_AUTO_TEST_CASE(ip_change_v6_delegates_a_prefix_to_the_home) {
  const scenario::Scenario s = load_shipped("ip-change-v6", linux_nat());
  auto plan = plan_world(s, "tltest-");
  BOOST_TEST_REQUIRE(plan.ok());
  BOOST_TEST_REQUIRE(plan->delegated_prefix.has_value());
  const IpPrefix p = *plan->delegated_prefix;
  BOOST_TEST(p.length() == 56);
  const std::string net = p.address().to_string();  // "3fff:N00::"
  BOOST_TEST(addresses_of(*plan, "carinho") ==
                 (std::vector<std::string>{"lan-0 192.168.1.10/24", "lan-0 " + net + "10/64"}),
             boost::test_tools::per_element());
  BOOST_TEST(has_route(*plan, "internet", p.to_string() + " via fe80::2 dev uplink-1"));
  BOOST_TEST(addresses_of(*plan, "namorar") ==
                 (std::vector<std::string>{"namorar-0 203.0.113.10/24", "namorar-0 3fff:ffff:0:10::10/64"}),
             boost::test_tools::per_element());
  BOOST_TEST(has_route(*plan, "namorar", "default via 3fff:ffff:0:10::1 dev namorar-0"));
}

BOOST_AUTO_TEST_CASE(linux_nat_is_masquerade_with_the_scenarios_timeouts) {
  const scenario::Scenario s = load_shipped("nat-expiry", linux_nat({"nat.timeouts.udp=10s"}));
  auto nat = plan_nat(s, {"uplink-0"});
  BOOST_TEST_REQUIRE(nat.ok(), (nat.ok() ? "" : nat.error().to_string()));
  BOOST_TEST(nat->ruleset.find("oifname { \"uplink-0\" } masquerade\n") != std::string::npos, nat->ruleset);
  const auto has = [&](const std::string& key, const std::string& value) {
    for (const auto& kv : nat->sysctls)
      if (kv.first == key) return kv.second == value;
    return false;
  };
  BOOST_TEST(has("net.netfilter.nf_conntrack_udp_timeout", "10"));
  BOOST_TEST(has("net.netfilter.nf_conntrack_udp_timeout_stream", "10"));
  BOOST_TEST(has("net.netfilter.nf_conntrack_tcp_timeout_established", "7440"));
  BOOST_TEST(has("net.netfilter.nf_conntrack_tcp_timeout_syn_sent", "240"));
  BOOST_TEST(has("net.netfilter.nf_conntrack_icmp_timeout", "60"));
  // Address-and-port-dependent mapping is a port drawn per flow.
  const scenario::Scenario apdm = load_shipped(
      "nat-expiry", linux_nat({"nat.mapping=address-and-port-dependent", "nat.port_preservation=false"}));
  auto random = plan_nat(apdm, {"uplink-0"});
  BOOST_TEST_REQUIRE(random.ok());
  BOOST_TEST(random->ruleset.find("masquerade fully-random") != std::string::npos);
}

// A NAT Linux cannot make is refused, each field named where the file
// gives it (FILE:LINE), where --set changed it, or as the default.
BOOST_AUTO_TEST_CASE(a_nat_linux_cannot_make_is_refused_naming_each_field) {
  const scenario::Scenario as_shipped = load_shipped("nat-expiry");
  auto refused = plan_nat(as_shipped, {"uplink-0"});
  BOOST_TEST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error().message.find("nat-expiry.yaml: nat.inbound_refresh (the default): false cannot be made") !=
                 std::string::npos,
             refused.error().message);

  const scenario::Scenario set = load_shipped("nat-expiry", linux_nat({"nat.mapping=address-dependent"}));
  auto by_set = plan_nat(set, {"uplink-0"});
  BOOST_TEST_REQUIRE(!by_set.ok());
  BOOST_TEST(by_set.error().message.find("nat-expiry.yaml: nat.mapping (--set): address-dependent mapping") !=
                 std::string::npos,
             by_set.error().message);

  // The same scenario written with the refused values: the lines named.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("tether-lab-plan-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::create_directory_symlink(testing::shipped_scenario("nat-expiry").parent_path() / "backup-mx-fallback",
                                            dir / "backup-mx-fallback");
  std::ifstream in(testing::shipped_scenario("nat-expiry"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string shipped_filtering = "  filtering: address-and-port-dependent\n";
  BOOST_TEST_REQUIRE(text.find(shipped_filtering) != std::string::npos);
  text.replace(text.find(shipped_filtering), shipped_filtering.size(),
               "  filtering: endpoint-independent\n  inbound_refresh: false\n");
  int filtering_line = 1;
  for (std::size_t i = 0; i < text.find("  filtering: endpoint"); ++i) filtering_line += text[i] == '\n';
  std::ofstream(dir / "full-cone.yaml") << text;
  scenario::ScenarioParse parsed = scenario::load_scenario(dir / "full-cone.yaml");
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.error_text());
  auto in_file = plan_nat(parsed.scenario, {"uplink-0"});
  std::filesystem::remove_all(dir);
  BOOST_TEST_REQUIRE(!in_file.ok());
  const std::string& m = in_file.error().message;
  BOOST_TEST(m.find("full-cone.yaml:" + std::to_string(filtering_line) +
                    ": nat.filtering: endpoint-independent filtering cannot be made on Linux") != std::string::npos,
             m);
  BOOST_TEST(m.find("full-cone.yaml:" + std::to_string(filtering_line + 1) + ": nat.inbound_refresh: false") !=
                 std::string::npos,
             m);
}

BOOST_AUTO_TEST_CASE(the_zone_has_the_simulations_records) {
  const scenario::Scenario s = load_shipped("ip-change-v6");
  const std::string c = dnsmasq_zone_config(s);
  for (const std::string line :
       {"mx-host=example.org,mail.example.org,10\n", "host-record=mail.example.org,203.0.113.10,300\n",
        "host-record=mail.example.org,3fff:ffff:0:10::10,300\n",
        // A host's own address no record names: a PTR to its hostname.
        "ptr-record=10.1.168.192.in-addr.arpa,carinho.lan\n", "local=/#/\n"})
    BOOST_TEST(c.find(line) != std::string::npos, line + " in\n" + c);
  BOOST_TEST(c.find("ptr-record=10.0.113.203") == std::string::npos);  // its A record gives it
}

BOOST_AUTO_TEST_CASE(run_prefixes_are_told_from_other_names) {
  const std::string mine = new_run_prefix();
  BOOST_TEST(is_run_prefix(mine), mine);
  BOOST_TEST(mine != new_run_prefix());
  for (const std::string other : {"tl-", "tlx1-", "tl12x-", "tl12xab", "tether-pcap-home-1-0", "tl12xag-", "lab"})
    BOOST_TEST(!is_run_prefix(other), other);
  BOOST_TEST(remove_leftovers("lab").size() == 1u);  // refused: nothing looked up by that name
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
