// The lab world of shipped scenarios on real namespaces (root): every host
// reaches what it reaches in the simulation, the home through the NAT with
// the ISP's address, the relay never the home's private address; the
// gateway's conntrack timeouts are the scenario's; each host's namespace
// resolves the zone (A, AAAA, MX with preferences, PTR) with real clients
// (glibc's getent as tetherd's getaddrinfo, dig).

#include <boost/test/unit_test.hpp>
#include <fstream>

#include "lab/world/lab_world.h"
#include "lab/world/world_scenarios.h"
#include "support/child_process.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

namespace tether::lab {
namespace {

using testing::linux_nat;
using testing::load_shipped;

std::unique_ptr<LabWorld> build(const scenario::Scenario& s) {
  auto world = LabWorld::build(s);
  BOOST_TEST_REQUIRE(world.ok(), (world.ok() ? "" : world.error().to_string()));
  return std::move(*world);
}

bool pings(const LabWorld& world, const std::string& from, const std::string& to, const char* wait_s = "2") {
  const bool v6 = to.find(':') != std::string::npos;
  return world.run_in(from, {"ping", v6 ? "-6" : "-4", "-c", "1", "-W", wait_s, to}).ok();
}

// A ping that must not be answered: a veth answers in well under a
// millisecond, so a second is plenty to tell.
bool silent(const LabWorld& world, const std::string& from, const std::string& to) {
  return !pings(world, from, to, "1");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  std::getline(in, text);
  return text;
}

// Where a UDP datagram sent from `from` (bound to `port`) arrives at
// `to_node`'s `to_address`: "ADDRESS PORT" as the receiver sees the source.
std::string udp_source_seen(const LabWorld& world, const std::string& from, int port, const std::string& to_node,
                            const std::string& to_address) {
  const std::string receive =
      "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 5555)); "
      "print('ready', flush=True); s.settimeout(10); d,a=s.recvfrom(100); print(a[0], a[1], flush=True)";
  auto receiver = tether::testing::ChildProcess::spawn(
      {"ip", "netns", "exec", world.namespace_of(to_node), "/usr/bin/python3", "-c", receive});
  BOOST_TEST_REQUIRE(receiver.ok());
  BOOST_TEST_REQUIRE((*receiver)->wait_for_output("ready\n", Duration::seconds(10)));
  const std::string send = "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', " +
                           std::to_string(port) + ")); s.sendto(b'x', ('" + to_address + "', 5555))";
  const CommandResult sent = world.run_in(from, {"/usr/bin/python3", "-c", send});
  BOOST_TEST_REQUIRE(sent.ok(), sent.output);
  (*receiver)->wait_exit(Duration::seconds(12));
  std::string out = (*receiver)->output();
  out = out.substr(out.find('\n') + 1);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// What a UDP socket in `from` sees after sending to a closed port at
// `to`: "refused" (an ICMP port unreachable came back) or "silence".
std::string answer_from_closed_port(const LabWorld& world, const std::string& from, const std::string& to) {
  const std::string probe =
      "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1); s.connect(('" + to +
      "', 9)); s.send(b'x')\n"
      "try:\n  s.recv(100); print('answer')\n"
      "except ConnectionRefusedError:\n  print('refused')\n"
      "except socket.timeout:\n  print('silence')\n";
  const CommandResult r = world.run_in(from, {"/usr/bin/python3", "-c", probe});
  return r.output.substr(0, r.output.find('\n'));
}

boost::test_tools::assertion_result needs_dig(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(tether::testing::program_exists("dig"));
  r.message() << "SKIPPED: needs dig (bind9-dnsutils, scripts/packages.txt)";
  return r;
}

BOOST_AUTO_TEST_SUITE(lab_world, *boost::unit_test::label("root") *
                                     boost::unit_test::precondition(tether::testing::needs_root))

BOOST_AUTO_TEST_CASE(nat_expiry_hosts_reach_what_they_reach_in_the_simulation) {
  const auto world = build(load_shipped("nat-expiry", linux_nat()));
  const std::string isp = world->plan().isp_address->to_string();
  BOOST_TEST(pings(*world, "sender", "203.0.113.10"));     // public host to public host
  BOOST_TEST(pings(*world, "namorar", "198.18.0.10"));
  BOOST_TEST(pings(*world, "sender-submission", "10.255.1.2"));
  BOOST_TEST(pings(*world, "carinho", "203.0.113.10"));    // the home, out through the NAT
  BOOST_TEST(pings(*world, "namorar", isp));               // the gateway answers on its public address
  // The relay sees the home as the ISP's address, its port kept
  // (endpoint-independent mapping with port preservation).
  BOOST_TEST(udp_source_seen(*world, "carinho", 40123, "namorar", "203.0.113.10") == isp + " 40123");
  // The relay never reaches the home's private address: no route on the
  // internet, and even with one the gateway drops what nothing asked for.
  BOOST_TEST(silent(*world, "namorar", "192.168.1.10"));
  const CommandResult routed =
      run_command({"ip", "-n", world->namespace_of("internet"), "route", "add", "192.168.1.0/24", "via", isp, "dev", "uplink-1"});
  BOOST_TEST_REQUIRE(routed.ok(), routed.output);
  BOOST_TEST(silent(*world, "namorar", "192.168.1.10"));
  // A port unreachable reaches a public sender, never the home behind the
  // NAT (the simulated NAT translates no ICMP errors).
  BOOST_TEST(answer_from_closed_port(*world, "sender", "203.0.113.10") == "refused");
  BOOST_TEST(answer_from_closed_port(*world, "carinho", "203.0.113.10") == "silence");
  // The pool's other addresses vanish at the ISP.
  for (const std::string other : {"198.51.100.100", "198.51.100.101", "198.51.100.102", "198.51.100.103"})
    if (other != isp) BOOST_TEST(silent(*world, "namorar", other), other);
}

BOOST_AUTO_TEST_CASE(the_gateways_conntrack_timeouts_are_the_scenarios) {
  const std::string machine_before = read_file("/proc/sys/net/netfilter/nf_conntrack_udp_timeout");
  const auto world = build(load_shipped("nat-expiry", linux_nat({"nat.timeouts.udp=10s", "nat.timeouts.tcp_established=300s"})));
  const auto sysctl = [&](const std::string& key) {
    const CommandResult r = world->run_in("gateway", {"sysctl", "-n", "net.netfilter." + key});
    BOOST_TEST(r.ok(), r.output);
    return r.output.substr(0, r.output.find('\n'));
  };
  BOOST_TEST(sysctl("nf_conntrack_udp_timeout") == "10");
  BOOST_TEST(sysctl("nf_conntrack_udp_timeout_stream") == "10");
  BOOST_TEST(sysctl("nf_conntrack_tcp_timeout_established") == "300");
  BOOST_TEST(sysctl("nf_conntrack_tcp_timeout_fin_wait") == "240");
  // Set in the gateway's namespace only.
  BOOST_TEST(read_file("/proc/sys/net/netfilter/nf_conntrack_udp_timeout") == machine_before);
  const CommandResult tables = world->run_in("gateway", {"nft", "list", "tables"});
  BOOST_TEST(tables.output.find("table ip tether_lab_nat") != std::string::npos, tables.output);
}

BOOST_AUTO_TEST_CASE(each_host_resolves_the_zone_from_its_own_namespace, *boost::unit_test::precondition(needs_dig)) {
  const auto world = build(load_shipped(
      "ip-change-v6",
      linux_nat({"dns=[{name: example.org, type: MX, preference: 10, exchange: mail.example.org}, "
                 "{name: example.org, type: MX, preference: 20, exchange: mx2.example.org}, "
                 "{name: mail.example.org, type: A, address: 203.0.113.10}, "
                 "{name: mail.example.org, type: AAAA, address: \"3fff:ffff:0:10::10\"}, "
                 "{name: mx2.example.org, type: A, address: 203.0.113.20}, "
                 "{name: mail.websteading.net, type: A, address: 198.18.0.10}]"})));
  for (const std::string node : {"carinho", "namorar", "sender"}) {
    const CommandResult mx = world->run_in(node, {"dig", "+short", "MX", "example.org"});
    BOOST_TEST(mx.output.find("10 mail.example.org.\n") != std::string::npos, node + ": " + mx.output);
    BOOST_TEST(mx.output.find("20 mx2.example.org.\n") != std::string::npos, node + ": " + mx.output);
    const CommandResult a = world->run_in(node, {"getent", "ahostsv4", "mail.example.org"});
    BOOST_TEST(a.output.rfind("203.0.113.10 ", 0) == 0u, node + ": " + a.output);
    const CommandResult aaaa = world->run_in(node, {"dig", "+short", "AAAA", "mail.example.org"});
    BOOST_TEST(aaaa.output == "3fff:ffff:0:10::10\n", node + ": " + aaaa.output);
  }
  // PTR: the first name leading to an address, else its host's hostname.
  const CommandResult ptr = world->run_in("namorar", {"getent", "hosts", "198.18.0.10"});
  BOOST_TEST(ptr.output.find("mail.websteading.net") != std::string::npos, ptr.output);
  const CommandResult ptr6 = world->run_in("namorar", {"dig", "+short", "-x", "3fff:ffff:0:10::10"});
  BOOST_TEST(ptr6.output == "mail.example.org.\n", ptr6.output);
  const CommandResult home = world->run_in("namorar", {"dig", "+short", "-x", "192.168.1.10"});
  BOOST_TEST(home.output == "carinho.lan.\n", home.output);
  const CommandResult none = world->run_in("carinho", {"dig", "nothere.example.org"});
  BOOST_TEST(none.output.find("status: NXDOMAIN") != std::string::npos, none.output);
}

BOOST_AUTO_TEST_CASE(ip_change_v6_routes_the_delegated_prefix_without_nat) {
  const auto world = build(load_shipped("ip-change-v6", linux_nat()));
  const std::string home6 = world->plan().delegated_prefix->address().to_string() + "10";
  BOOST_TEST(pings(*world, "carinho", "3fff:ffff:0:10::10"));
  BOOST_TEST(pings(*world, "namorar", home6));       // routed: no NAT, no firewall, as the simulation
  BOOST_TEST(pings(*world, "carinho", "203.0.113.10"));
  BOOST_TEST(silent(*world, "namorar", "192.168.1.10"));
  const CommandResult route = world->run_in("carinho", {"ip", "-6", "route", "get", "3fff:ffff:0:10::10"});
  BOOST_TEST(route.output.find("from :: via " + world->plan().delegated_prefix->address().to_string() + "1") !=
                 std::string::npos,
             route.output);
}

BOOST_AUTO_TEST_CASE(two_worlds_of_one_scenario_stand_side_by_side) {
  const scenario::Scenario s = load_shipped("nat-expiry", linux_nat());
  const auto first = build(s);
  const auto second = build(s);
  BOOST_TEST(first->prefix() != second->prefix());
  BOOST_TEST(pings(*first, "carinho", "203.0.113.10"));
  BOOST_TEST(pings(*second, "carinho", "203.0.113.10"));
}

// Where lab/shaping plugs in: each link once, both ends up and numbered;
// a shape that fails fails the build, and the world goes.
BOOST_AUTO_TEST_CASE(each_link_is_handed_to_the_shaper_numbered_and_up) {
  std::vector<std::string> shaped;
  LabWorldOptions options;
  options.shape_link = [&](LabWorld& world, const PlannedLink& link) -> Result<void> {
    shaped.push_back(link.name);
    const CommandResult up = run_command({"ip", "-n", world.namespace_of(link.node[0]), "addr", "show", "dev", link.interface[0]});
    BOOST_TEST(up.output.find("state UP") != std::string::npos, up.output);
    BOOST_TEST(up.output.find("inet ") != std::string::npos, up.output);
    return {};
  };
  {
    auto world = LabWorld::build(load_shipped("nat-expiry", linux_nat()), options);
    BOOST_TEST_REQUIRE(world.ok(), (world.ok() ? "" : world.error().to_string()));
  }
  const std::vector<std::string> links{"sender", "sender-submission", "namorar", "lan", "uplink"};
  BOOST_TEST(shaped == links, boost::test_tools::per_element());

  options.prefix = new_run_prefix();
  options.shape_link = [](LabWorld&, const PlannedLink& link) -> Result<void> {
    if (link.name == "uplink") return Error(ErrorCode::unsupported, "shaping: uplink: no such qdisc");
    return {};
  };
  auto failed = LabWorld::build(load_shipped("nat-expiry", linux_nat()), options);
  BOOST_TEST_REQUIRE(!failed.ok());
  BOOST_TEST(failed.error().message == "shaping: uplink: no such qdisc");
  BOOST_TEST(testing::traces_of(options.prefix).empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
