// A world with no scenario behind it (lab/world/hand_plan.h): the plan's
// mistakes named without root; as root, three namespaces with the caller's
// interfaces, addresses and routes, a masquerading gateway with its UDP
// timeout, a zone served from the records given (A and MX), each namespace's own
// resolv.conf, and nothing of it left after tear_down.

#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "lab/world/lab_world.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

namespace tether::lab {
namespace {

// home 198.18.10.2 --vh/vn0-- gateway | 198.18.20.1 --vn1/vr-- relay 198.18.20.2
HandPlan nat_world() {
  return HandPlan()
      .node("home")
      .node("gateway", true)
      .node("relay")
      .link("lan", {"home", "vh", {"198.18.10.2/24"}}, {"gateway", "vn0", {"198.18.10.1/24"}})
      .link("wan", {"gateway", "vn1", {"198.18.20.1/24"}}, {"relay", "vr", {"198.18.20.2/24", "2001:db8:1::2/64"}})
      .route("home", "default", "198.18.10.1")
      .nat(masquerade_nat("vn1", 7))
      .address_record("relay.example.org", "198.18.20.2")
      .mx_record("example.org", "relay.example.org", 10);
}

std::string first_line(const CommandResult& r) { return r.output.substr(0, r.output.find('\n')); }

}  // namespace

BOOST_AUTO_TEST_SUITE(hand_world)

BOOST_AUTO_TEST_CASE(a_mistake_in_the_plan_is_named) {
  const auto error = [](const HandPlan& hand) {
    auto plan = hand.plan("tl1x1-");
    return plan.ok() ? std::string("(none)") : plan.error().message;
  };
  BOOST_TEST(error(HandPlan().node("a").node("b").link("w", {"a", "va", {"198.18.0.300/24"}}, {"b", "vb", {}})) ==
             "lab: link w: '198.18.0.300/24': " + IpPrefix::parse("198.18.0.300/24").error().message);
  BOOST_TEST(error(HandPlan().node("a").link("w", {"a", "va", {}}, {"c", "vc", {}})) == "lab: link w: no node 'c'");
  BOOST_TEST(error(HandPlan().node("a").node("a")) == "lab: node 'a': empty or named twice");
  BOOST_TEST(error(HandPlan().node("a").node("b").link("w", {"a", "an-interface-name", {}}, {"b", "vb", {}})) ==
             "lab: link w: interface 'an-interface-name' (1 to 15 characters)");
  BOOST_TEST(error(HandPlan().node("a").route("a", "default", "nowhere")) == "lab: route of a: via 'nowhere'");
  BOOST_TEST(error(HandPlan().node("a").nat(masquerade_nat("va", 5))) == "lab: a NAT needs a node named 'gateway'");
  BOOST_TEST(error(HandPlan().node("a").address_record("x.example.org", "nowhere")).rfind(
                 "lab: record x.example.org: 'nowhere': ", 0) == 0u);
  auto plan = nat_world().plan("tl1x1-");
  BOOST_TEST_REQUIRE(plan.ok());
  BOOST_TEST(plan->namespace_of("relay") == "tl1x1-relay");
  BOOST_TEST(plan->node("gateway")->forwards);
  BOOST_TEST(plan->node("relay")->addresses.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_hand_written_world_is_made_and_removed_as_a_scenarios_is,
                     *boost::unit_test::label("root") * boost::unit_test::precondition(testing::needs_root)) {
  auto built = LabWorld::build(nat_world());
  BOOST_TEST_REQUIRE(built.ok(), (built.ok() ? "" : built.error().to_string()));
  std::unique_ptr<LabWorld> world = std::move(*built);
  const std::string relay_ns = world->namespace_of("relay");
  BOOST_TEST(world->run_in("home", {"ping", "-c", "1", "-W", "2", "198.18.20.2"}).ok());
  // The relay has no route to the home's network: only the gateway's
  // masquerading address reaches it.
  BOOST_TEST(!world->run_in("relay", {"ping", "-c", "1", "-W", "1", "198.18.10.2"}).ok());
  BOOST_TEST(first_line(world->run_in("gateway", {"sysctl", "-n", "net.netfilter.nf_conntrack_udp_timeout_stream"})) ==
             "7");
  BOOST_TEST(first_line(world->run_in("gateway", {"sysctl", "-n", "net.ipv4.ip_forward"})) == "1");
  BOOST_TEST(first_line(world->run_in("home", {"cat", "/etc/resolv.conf"})) == "nameserver 127.0.0.1");
  BOOST_TEST(first_line(world->run_in("home", {"getent", "hosts", "relay.example.org"})).rfind("198.18.20.2 ", 0) == 0u);
  if (testing::program_exists("dig"))
    BOOST_TEST(first_line(world->run_in("relay", {"dig", "+short", "MX", "example.org"})) == "10 relay.example.org.");
  BOOST_TEST(world->run_in("relay", {"ping", "-6", "-c", "1", "-W", "2", "2001:db8:1::2"}).ok());

  BOOST_TEST(world->tear_down().empty());
  BOOST_TEST(!std::filesystem::exists("/var/run/netns/" + relay_ns));
  BOOST_TEST(!std::filesystem::exists("/etc/netns/" + relay_ns));
  BOOST_TEST(!std::filesystem::exists(world->record().directory()));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tether::lab
