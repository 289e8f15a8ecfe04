// The figures in lab/shaping/README.md (bench/lab_shaping.sh runs them):
// the delay asked against the delay seen, the delayer's CPU time per
// packet and its throughput ceiling, each beside the same veth unshaped.
// Disabled by default: they measure, they do not test.
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <regex>

#include "lab/shaping/shaped_link.h"
#include "lab/shaping/tool_command.h"
#include "support/child_process.h"
#include "support/root_precondition.h"
#include "veth_lab.h"

namespace tether::lab {
namespace {

using testing::VethLab;

// The direction from a to b.
std::unique_ptr<ShapedLink> shape_a_to_b(const VethLab& lab, const LinkShape& shape) {
  ShapingOptions o;
  o.mechanism = ShapingMechanism::nfqueue;
  auto link = ShapedLink::install(LinkEnd{lab.a(), "va"}, LinkEnd{lab.b(), "vb"}, shape, o);
  BOOST_TEST_REQUIRE(link.ok(), (link.ok() ? "" : link.error().message));
  return std::move(*link);
}

// iperf3 over the veth for `seconds`: the receiver's bits per second.
double tcp_rate(const VethLab& lab, int seconds, const std::string& extra = "") {
  auto server = testing::ChildProcess::spawn({"ip", "netns", "exec", lab.b(), "iperf3", "-s", "-1", "-B", "10.77.0.2", "-p", "47002", "--forceflush"});
  BOOST_TEST_REQUIRE(server.ok());
  BOOST_TEST_REQUIRE((*server)->wait_for_output("Server listening", Duration::seconds(5)));
  std::vector<std::string> argv = {"ip", "netns", "exec", lab.a(), "iperf3", "-c", "10.77.0.2", "-p", "47002", "-t", std::to_string(seconds), "-J"};
  if (!extra.empty()) argv.push_back(extra);
  const auto client = testing::run_process(argv, "", Duration::seconds(seconds + 15));
  (*server)->wait_exit(Duration::seconds(5));
  std::smatch m;
  const auto at = client.out.find("\"sum_received\"");
  const std::string rest = at == std::string::npos ? "" : client.out.substr(at);
  if (!std::regex_search(rest, m, std::regex("\"bits_per_second\":\\s*([0-9.e+]+)"))) return 0;
  return std::stod(m[1]);
}

void print_delayer(const char* what, const DelayerStats& s) {
  const double late_mean = s.released ? double(s.total_late.ns()) / double(s.released) / 1e3 : 0;
  std::printf("  %-28s packets %llu, verdict after due: mean %.1f us, max %.1f us; CPU %.2f us/packet\n", what,
              (unsigned long long)s.packets, late_mean, double(s.max_late.ns()) / 1e3,
              s.packets ? double(s.thread_cpu.ns()) / double(s.packets) / 1e3 : 0.0);
}

BOOST_AUTO_TEST_SUITE(shaping_bench, *boost::unit_test::disabled() * boost::unit_test::precondition(testing::needs_root))

BOOST_AUTO_TEST_CASE(delay_accuracy) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  struct Setting { int delay_ms, jitter_ms; bool reorder; };
  std::printf("delay asked vs seen (one way, 1000 UDP probes 2 ms apart; excess = seen - asked)\n");
  for (Setting s : {Setting{1, 0, false}, Setting{10, 0, false}, Setting{25, 0, false}, Setting{100, 0, false},
                    Setting{100, 10, true}, Setting{130, 12, false}}) {
    LinkShape shape;
    shape.delay = Duration::milliseconds(s.delay_ms), shape.jitter = Duration::milliseconds(s.jitter_ms), shape.reorder = s.reorder;
    auto link = shape_a_to_b(lab, shape);
    const auto run = testing::send_probes(lab, 1000, Duration::milliseconds(2), Duration::milliseconds(s.delay_ms + 500));
    const auto m = testing::summarise(run.one_way_ms);
    std::printf("%-24s seen %s; excess: mean %.3f p50 %.3f p99 %.3f max %.3f ms; reordered %zu\n", shape.summary().c_str(),
                testing::describe(m).c_str(), m.mean - s.delay_ms, m.p50 - s.delay_ms, m.p99 - s.delay_ms, m.max - s.delay_ms,
                run.reordered());
    print_delayer("delayer:", *link->delayer_stats());
  }
  const auto bare = testing::summarise(testing::send_probes(lab, 1000, Duration::milliseconds(2), Duration::milliseconds(300)).one_way_ms);
  std::printf("%-24s seen %s\n", "unshaped veth", testing::describe(bare).c_str());
}

BOOST_AUTO_TEST_CASE(cost_and_ceiling) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  const double bare = tcp_rate(lab, 3);
  LinkShape shape;
  shape.delay = Duration::milliseconds(1);
  double shaped = 0;
  DelayerStats stats;
  {
    auto link = shape_a_to_b(lab, shape);
    shaped = tcp_rate(lab, 3);
    stats = *link->delayer_stats();
  }
  std::printf("TCP (iperf3, 3 s): unshaped veth %.0f Mbit/s; through the delayer (1 ms) %.0f Mbit/s; ratio %.3f\n", bare / 1e6,
              shaped / 1e6, shaped / bare);
  print_delayer("delayer, TCP at its ceiling:", stats);
  std::printf("  that is %.0f packets/s through the delayer\n", double(stats.packets) / 3);
  {
    auto link = shape_a_to_b(lab, shape);
    const auto run = testing::send_probes(lab, 20000, Duration::microseconds(100), Duration::milliseconds(300));
    std::printf("UDP 10000 packets/s for 2 s: %zu of %zu arrived\n", run.one_way_ms.size(), run.sent);
    print_delayer("delayer, UDP 10 kpps:", *link->delayer_stats());
  }
}


// Why the delayer holds packets on the receiving side (shaped_link.h):
// the same 5 ms hold, on the sender's egress and on the receiver's
// ingress, under a 20 Mbit/s tbf, with iperf3 TCP from the sending
// namespace.
BOOST_AUTO_TEST_CASE(hold_on_egress_or_ingress) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  for (const char* hook : {"PREROUTING", "POSTROUTING"}) {
    DelayerOptions d;
    const bool in = std::string(hook) == "PREROUTING";
    d.netns = in ? lab.b() : lab.a();
    d.shape.delay = Duration::milliseconds(5);
    auto delayer = NfqueueDelayer::start(d);
    BOOST_TEST_REQUIRE(delayer.ok());
    auto q = std::to_string((*delayer)->queue_number());
    BOOST_TEST_REQUIRE(run_tool(d.netns, {"iptables", "-t", "mangle", "-A", hook, in ? "-i" : "-o", in ? "vb" : "va", "-j", "NFQUEUE", "--queue-num", q}).ok());
    BOOST_TEST_REQUIRE(run_tool(lab.a(), {"tc", "qdisc", "replace", "dev", "va", "root", "handle", "1:", "tbf", "rate", "20000000bit", "burst", "3028", "limit", "151400"}).ok());
    const double r = tcp_rate(lab, 3);
    std::printf("5 ms hold in %s (%s side) under tbf 20 Mbit/s: TCP %.2f Mbit/s\n", hook, in ? "receiving" : "sending", r / 1e6);
    BOOST_TEST_REQUIRE(run_tool(d.netns, {"iptables", "-t", "mangle", "-D", hook, in ? "-i" : "-o", in ? "vb" : "va", "-j", "NFQUEUE", "--queue-num", q}).ok());
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
