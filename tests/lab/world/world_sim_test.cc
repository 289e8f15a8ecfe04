// The lab numbers its world as the simulation numbers its own: for every
// shipped scenario, each node's addresses in the lab's plan (world_plan.h,
// with the seeded ISP address and delegated prefix of sim_draws.h) are the
// addresses of the ns-3 node the simulation builds for it
// (sim::ScenarioWorld, built and not run), link-local ones aside (the
// lab's uplink has fixed ones where ns-3 derives them from its MACs).

#include <boost/test/unit_test.hpp>
#include <ns3/ipv4.h>
#include <ns3/ipv6.h>
#include <ns3/net-device.h>
#include <ns3/simulator.h>
#include <algorithm>
#include <sstream>

#include "lab/world/lab_world.h"
#include "lab/world/world_plan.h"
#include "lab/world/world_scenarios.h"
#include "sim/host/ns3_address.h"
#include "sim/scenario_world.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

namespace tether::lab {
namespace {

// The tunnel's device (the apps run on a built world) is tetherd's in the
// lab, not the world's.
bool is_tunnel(const ns3::Ptr<ns3::NetDevice>& device) {
  return device && device->GetInstanceTypeId().GetName() == "ns3::VirtualNetDevice";
}

std::vector<std::string> simulated_addresses(const ns3::Ptr<ns3::Node>& node) {
  std::vector<std::string> out;
  if (auto v4 = node->GetObject<ns3::Ipv4>())
    for (std::uint32_t i = 0; i < v4->GetNInterfaces(); ++i)
      for (std::uint32_t j = 0; j < v4->GetNAddresses(i); ++j) {
        const ns3::Ipv4InterfaceAddress a = v4->GetAddress(i, j);
        if (a.GetLocal().IsLocalhost() || is_tunnel(v4->GetNetDevice(i))) continue;
        out.push_back(IpPrefix(sim::from_ns3(a.GetLocal()), a.GetMask().GetPrefixLength()).to_string());
      }
  if (auto v6 = node->GetObject<ns3::Ipv6>())
    for (std::uint32_t i = 0; i < v6->GetNInterfaces(); ++i)
      for (std::uint32_t j = 0; j < v6->GetNAddresses(i); ++j) {
        const ns3::Ipv6InterfaceAddress a = v6->GetAddress(i, j);
        if (a.GetScope() != ns3::Ipv6InterfaceAddress::GLOBAL || is_tunnel(v6->GetNetDevice(i))) continue;
        out.push_back(IpPrefix(sim::from_ns3(a.GetAddress()), a.GetPrefix().GetPrefixLength()).to_string());
      }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> planned_addresses(const WorldPlan& plan, const std::string& node) {
  std::vector<std::string> out;
  for (const PlannedAddress& a : plan.node(node)->addresses)
    if (a.address.to_string().rfind("fe80:", 0) != 0) out.push_back(a.address.to_string());
  std::sort(out.begin(), out.end());
  return out;
}

void compare(const std::string& name, std::vector<std::string> overrides = {}) {
  BOOST_TEST_CONTEXT(name) {
    const scenario::Scenario s = testing::load_shipped(name, std::move(overrides));
    auto plan = plan_world(s, "tlsim-");
    BOOST_TEST_REQUIRE(plan.ok());
    tether::testing::TestDirectory dir("tether-lab-sim-" + name);
    ns3::Simulator::Destroy();  // node ids from 0, as in tether-sim's one world
    sim::WorldOptions options;
    options.storage_root = dir.path() / "nodes";
    auto world = sim::ScenarioWorld::build(s, options);
    BOOST_TEST_REQUIRE(world.ok(), (world.ok() ? "" : world.error().to_string()));
    int compared = 0;
    for (auto& n : (*world)->nodes()) {
      BOOST_TEST(planned_addresses(*plan, n->spec->name) == simulated_addresses(n->node), boost::test_tools::per_element());
      ++compared;
      if (n->submitter) {
        BOOST_TEST(planned_addresses(*plan, n->spec->name + "-submission") == simulated_addresses(n->submitter),
                   boost::test_tools::per_element());
        ++compared;
      }
    }
    if (sim::Nat* nat = (*world)->nat()) {
      BOOST_TEST(planned_addresses(*plan, "gateway") == simulated_addresses(nat->node()), boost::test_tools::per_element());
      BOOST_TEST(*plan->isp_address == sim::from_ns3((*world)->isp()->address()));
      BOOST_TEST(planned_addresses(*plan, "internet") == simulated_addresses((*world)->isp()->line().router),
                 boost::test_tools::per_element());
      compared += 2;
    }
    if (sim::IspPrefix* prefix = (*world)->isp_prefix()) BOOST_TEST(*plan->delegated_prefix == prefix->prefix());
    BOOST_TEST(compared == int(plan->nodes.size()));
    world->reset();
    ns3::Simulator::Destroy();
  }
}

BOOST_AUTO_TEST_SUITE(lab_world_against_the_simulation)

BOOST_AUTO_TEST_CASE(every_shipped_scenario_is_numbered_alike) {
  for (const std::string name : {"nat-expiry", "ip-change", "ip-change-v6", "link-flap-4g", "backup-mx-fallback",
                                 "article-wg-keepalive", "seed-week"})
    compare(name);
  // Another seed draws other addresses, in both worlds.
  compare("ip-change-v6", {"seed=7"});
  compare("link-flap-4g", {"seed=3"});
}

// What the simulation's resolver answers (sim/world/dns_zone.h), as
// sorted lines, "" for no answer.
std::vector<std::string> simulated_answer(const sim::DnsZone& zone, const std::string& name, DnsRecordType type) {
  std::vector<std::string> out;
  auto answer = zone.lookup(name, type);
  if (!answer.ok()) return out;
  for (const IpAddress& a : answer->addresses) out.push_back(a.to_string());
  for (const MxRecord& mx : answer->mx) out.push_back(std::to_string(mx.preference) + " " + mx.exchange);
  for (const std::string& n : answer->names) out.push_back(n);
  std::sort(out.begin(), out.end());
  return out;
}

// What dig gets from the lab's dnsmasq in `node`'s namespace.
std::vector<std::string> lab_answer(const LabWorld& world, const std::string& node, const std::string& name,
                                    DnsRecordType type) {
  std::vector<std::string> argv{"dig", "+short"};
  if (type == DnsRecordType::ptr) argv.insert(argv.end(), {"-x", name});
  else argv.insert(argv.end(), {type == DnsRecordType::a ? "A" : type == DnsRecordType::aaaa ? "AAAA" : "MX", name});
  const CommandResult r = world.run_in(node, argv);
  std::vector<std::string> out;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '.') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

boost::test_tools::assertion_result needs_dig(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(tether::testing::program_exists("dig"));
  r.message() << "SKIPPED: needs dig (bind9-dnsutils, scripts/packages.txt)";
  return r;
}

// Every name the scenario's zone has, asked for every type, and every
// address of the world asked for its PTR: the lab answers as the simulation.
BOOST_AUTO_TEST_CASE(the_lab_serves_the_simulations_zone,
                     *boost::unit_test::label("root") * boost::unit_test::precondition(tether::testing::needs_root) *
                         boost::unit_test::precondition(needs_dig)) {
  for (const std::string name : {"ip-change-v6", "backup-mx-fallback", "seed-week"}) {
    BOOST_TEST_CONTEXT(name) {
      const scenario::Scenario s = testing::load_shipped(name, testing::linux_nat());
      tether::testing::TestDirectory dir("tether-lab-dns-" + name);
      ns3::Simulator::Destroy();
      sim::WorldOptions options;
      options.storage_root = dir.path() / "nodes";
      auto sim_world = sim::ScenarioWorld::build(s, options);
      BOOST_TEST_REQUIRE(sim_world.ok(), (sim_world.ok() ? "" : sim_world.error().to_string()));
      auto lab_world = LabWorld::build(s);
      BOOST_TEST_REQUIRE(lab_world.ok(), (lab_world.ok() ? "" : lab_world.error().to_string()));
      const sim::DnsZone& zone = *(*sim_world)->zone();
      std::vector<std::string> names{"nothere.example.org"};
      std::vector<std::string> addresses;
      for (const scenario::DnsRecordSpec& r : s.dns) {
        names.push_back(r.name);
        if (r.type != scenario::DnsRecordSpec::Type::mx) addresses.push_back(r.address.to_string());
      }
      for (const scenario::HostSpec& h : s.hosts) addresses.push_back(h.address.to_string());
      const std::string asker = s.hosts.front().name;
      int answered = 0;
      for (const std::string& n : names)
        for (DnsRecordType type : {DnsRecordType::a, DnsRecordType::aaaa, DnsRecordType::mx}) {
          const auto expected = simulated_answer(zone, n, type);
          BOOST_TEST(lab_answer(**lab_world, asker, n, type) == expected, n + " " + to_string(type));
          answered += !expected.empty();
        }
      for (const std::string& a : addresses) {
        const auto expected = simulated_answer(zone, a, DnsRecordType::ptr);
        BOOST_TEST(lab_answer(**lab_world, asker, a, DnsRecordType::ptr) == expected, a + " ptr");
        answered += !expected.empty();
      }
      BOOST_TEST(answered >= int(s.dns.size()));
      lab_world->reset();
      sim_world->reset();
      ns3::Simulator::Destroy();
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
