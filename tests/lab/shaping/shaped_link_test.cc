// ShapedLink on a real veth pair (root): the delay, jitter, order, loss and
// rate seen by probes against the shape asked for, the queue under a
// burst, and nothing left behind. The bounds are what the mechanism can
// promise on a shared machine (a userspace thread releases each packet;
// it can be late, never early): generous, with the measured figures
// printed for lab/shaping/README.md.
#include <dirent.h>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <regex>

#include "lab/shaping/delay_schedule.h"
#include "lab/shaping/shaped_link.h"
#include "lab/shaping/tool_command.h"
#include "support/child_process.h"
#include "support/preconditions.h"
#include "support/root_precondition.h"
#include "support/test_skip.h"
#include "veth_lab.h"

namespace tether::lab {
namespace {

using testing::ProbeRun;
using testing::summarise;
using testing::VethLab;

boost::test_tools::assertion_result needs_root_and_tools(boost::unit_test::test_unit_id) {
  if (!testing::running_as_root()) return testing::skip_unless(false, "needs root for namespaces, iptables and tc");
  for (const char* tool : {"iptables", "ip6tables", "tc", "ip", "iperf3", "ping"})
    if (!testing::program_exists(tool)) return testing::skip_unless(false, std::string("needs ") + tool + " (scripts/packages.txt)");
  return true;
}

std::size_t thread_count() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

// The direction from a to b.
std::unique_ptr<ShapedLink> shape_a_to_b(const VethLab& lab, const LinkShape& shape, const ShapingOptions& options = {}) {
  ShapingOptions o = options;
  o.mechanism = ShapingMechanism::nfqueue;  // what this kernel has; netem is not tested here
  auto link = ShapedLink::install(LinkEnd{lab.a(), "va"}, LinkEnd{lab.b(), "vb"}, shape, o);
  BOOST_TEST_REQUIRE(link.ok(), (link.ok() ? "" : link.error().message));
  return std::move(*link);
}

void print(const std::string& what, const testing::Summary& s) {
  std::printf("shaping: %-40s %s\n", what.c_str(), testing::describe(s).c_str());
}

BOOST_AUTO_TEST_SUITE(shaped_link, *boost::unit_test::label("root") * boost::unit_test::precondition(needs_root_and_tools))

BOOST_AUTO_TEST_CASE(constant_delay_is_held_never_less) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  for (int ms : {25, 100}) {
    LinkShape shape;
    shape.delay = Duration::milliseconds(ms);
    auto link = shape_a_to_b(lab, shape);
    BOOST_TEST(link->describe() == "nfqueue-delay");
    const ProbeRun run = testing::send_probes(lab, 300, Duration::milliseconds(2), Duration::milliseconds(ms + 500));
    BOOST_TEST_REQUIRE(run.one_way_ms.size() == 300u);
    BOOST_TEST(run.reordered() == 0u);
    const auto s = summarise(run.one_way_ms);
    print(std::to_string(ms) + " ms", s);
    BOOST_TEST(s.min >= ms);            // never early
    BOOST_TEST(s.p50 <= ms + 2.0);      // typically ~0.1 ms late
    BOOST_TEST(s.mean <= ms + 5.0);
  }
}

BOOST_AUTO_TEST_CASE(jitter_keeps_order_unless_reordering_is_asked) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  LinkShape shape;
  shape.delay = Duration::milliseconds(100), shape.jitter = Duration::milliseconds(10);
  {
    auto link = shape_a_to_b(lab, shape);
    const ProbeRun run = testing::send_probes(lab, 400, Duration::milliseconds(5), Duration::milliseconds(700));
    BOOST_TEST_REQUIRE(run.one_way_ms.size() == 400u);
    BOOST_TEST(run.reordered() == 0u);
    const auto s = summarise(run.one_way_ms);
    // What the rule gives these send times with another seed: the mean of
    // an in-order jittered line, above the drawn mean.
    DelaySchedule replay(shape, 99);
    std::vector<double> expected;
    for (Time t : run.send_times) expected.push_back(double((replay.admit(t).due - t).ns()) / 1e6);
    const auto e = summarise(expected);
    print("100 ms +- 10 ms in order", s);
    print("  (the schedule, another seed)", e);
    BOOST_TEST(s.min >= 70.0);
    BOOST_TEST(s.max <= 150.0);  // 130 (3 std-devs) and the delayer's lateness on a busy machine
    BOOST_TEST(std::fabs(s.mean - e.mean) < 5.0);
  }
  shape.reorder = true;
  {
    auto link = shape_a_to_b(lab, shape);
    const ProbeRun run = testing::send_probes(lab, 400, Duration::milliseconds(1), Duration::milliseconds(700));
    BOOST_TEST_REQUIRE(run.one_way_ms.size() == 400u);
    const auto s = summarise(run.one_way_ms);
    print("100 ms +- 10 ms reordering", s);
    std::printf("shaping: reordered arrivals %zu of 400\n", run.reordered());
    BOOST_TEST(run.reordered() > 20u);
    BOOST_TEST(s.mean >= 97.0);
    BOOST_TEST(s.mean <= 106.0);
    BOOST_TEST(s.stddev >= 8.0);  // the cut normal's 9.87 ms, 400 draws
    BOOST_TEST(s.stddev <= 12.0);
    BOOST_TEST(s.min >= 70.0);
  }
}

BOOST_AUTO_TEST_CASE(loss_close_to_the_rate_and_every_loss_counted) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  LinkShape shape;
  shape.loss = 0.1;
  auto link = shape_a_to_b(lab, shape);
  const std::size_t n = 3000;
  const ProbeRun run = testing::send_probes(lab, n, Duration::microseconds(200), Duration::milliseconds(500));
  BOOST_TEST_REQUIRE(run.sent == n);
  const std::size_t lost = n - run.one_way_ms.size();
  std::printf("shaping: loss 10%%: %zu of %zu lost (%.2f%%)\n", lost, n, 100.0 * double(lost) / double(n));
  // Binomial(3000, 0.1): mean 300, sd 16.4; 5 sd either side fails a
  // correct delayer once in ~1.7 million runs.
  BOOST_TEST(lost >= 218u);
  BOOST_TEST(lost <= 382u);
  // Only the probes cross va (IPv6 off): every loss is the delayer's.
  const auto stats = link->delayer_stats();
  BOOST_TEST_REQUIRE(stats.has_value());
  BOOST_TEST(stats->lost == lost);
  BOOST_TEST(stats->packets == n);
}

// iperf3's receiver-side rate, bits per second, from its JSON.
double iperf3_rate(const std::string& json) {
  const auto at = json.find("\"sum_received\"");
  std::smatch m;
  const std::string rest = at == std::string::npos ? "" : json.substr(at);
  if (!std::regex_search(rest, m, std::regex("\"bits_per_second\":\\s*([0-9.e+]+)"))) return 0;
  return std::stod(m[1]);
}

BOOST_AUTO_TEST_CASE(tbf_holds_a_tcp_transfer_to_the_rate) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  LinkShape shape;
  shape.rate_bps = 20'000'000, shape.delay = Duration::milliseconds(5);
  auto link = shape_a_to_b(lab, shape);
  BOOST_TEST(link->describe() == "nfqueue-delay+tbf");
  auto server = testing::ChildProcess::spawn({"ip", "netns", "exec", lab.b(), "iperf3", "-s", "-1", "-B", "10.77.0.2", "-p", "47001", "--forceflush"});
  BOOST_TEST_REQUIRE(server.ok());
  BOOST_TEST_REQUIRE((*server)->wait_for_output("Server listening", Duration::seconds(5)));
  const auto client = testing::run_process({"ip", "netns", "exec", lab.a(), "iperf3", "-c", "10.77.0.2", "-p", "47001", "-t", "4", "-J"}, "",
                                           Duration::seconds(20));
  BOOST_TEST_REQUIRE(client.exit_code == 0, client.describe());
  const double rate = iperf3_rate(client.out);
  std::printf("shaping: tbf 20 Mbit/s + 5 ms: TCP %.2f Mbit/s (%.1f%%)\n", rate / 1e6, 100 * rate / 20e6);
  BOOST_TEST(rate >= 0.75 * 20e6);
  BOOST_TEST(rate <= 1.05 * 20e6);
  (*server)->wait_exit(Duration::seconds(5));
}

// Any of the shaping's rules, qdiscs or queues in either namespace.
bool anything_left(const VethLab& lab, std::string* what) {
  for (const std::string& netns : {lab.a(), lab.b()}) {
    for (const char* tool : {"iptables-save", "ip6tables-save"}) {
      auto rules = run_tool(netns, {tool});
      if (rules && rules->find("tether-shaping") != std::string::npos) return *what = netns + ": " + tool, true;
    }
    for (const char* veth : {"va", "vb"}) {
      auto qdisc = run_tool(netns, {"tc", "qdisc", "show", "dev", veth});
      if (qdisc && (qdisc->find("tbf") != std::string::npos || qdisc->find("netem") != std::string::npos))
        return *what = netns + ": " + *qdisc, true;
    }
    auto queues = run_tool(netns, {"cat", "/proc/net/netfilter/nfnetlink_queue"});
    if (queues && !queues->empty()) return *what = netns + ": queue " + *queues, true;
  }
  return false;
}

BOOST_AUTO_TEST_CASE(removal_leaves_nothing_and_leftovers_are_swept) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  const std::size_t threads_before = thread_count();
  LinkShape shape;
  shape.delay = Duration::milliseconds(20), shape.rate_bps = 10'000'000, shape.loss = 0.01;
  {
    auto link = shape_a_to_b(lab, shape);
    BOOST_TEST(link->describe() == "nfqueue-delay+tbf");
    BOOST_TEST(thread_count() == threads_before + 1);
    std::string what;
    BOOST_TEST(anything_left(lab, &what));  // the check sees what is there
    // Packets in flight when the link goes: given back, not lost.
    testing::send_probes(lab, 20, Duration::milliseconds(1), Duration::zero());
  }
  std::string what;
  BOOST_TEST(!anything_left(lab, &what), what);
  BOOST_TEST(thread_count() == threads_before);

  // A crashed run's leftovers, made by hand, found by the names alone.
  for (const char* tool : {"iptables", "ip6tables"})
    BOOST_TEST_REQUIRE(run_tool(lab.b(), {tool, "-t", "mangle", "-A", "PREROUTING", "-i", "vb", "-m", "comment", "--comment",
                                          shaping_rule_comment("vb"), "-j", "NFQUEUE", "--queue-num", "1003"}).ok());
  BOOST_TEST_REQUIRE(run_tool(lab.a(), {"tc", "qdisc", "add", "dev", "va", "root", "handle", "1:", "tbf", "rate", "1mbit", "burst",
                                        "3028", "limit", "10000"}).ok());
  BOOST_TEST(anything_left(lab, &what));
  for (const auto& [netns, veth] : {std::pair{lab.a(), "va"}, std::pair{lab.b(), "vb"}}) {
    auto removed = remove_link_shaping(netns, veth);
    BOOST_TEST(removed.ok(), (removed.ok() ? "" : removed.error().message));
  }
  BOOST_TEST(!anything_left(lab, &what), what);
  BOOST_TEST(remove_link_shaping(lab.b(), "vb").ok());  // nothing to remove is not an error
}

BOOST_AUTO_TEST_CASE(a_burst_beyond_the_queue_is_dropped_and_counted) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  LinkShape shape;
  shape.delay = Duration::milliseconds(100);
  {
    // The kernel holds at most queue_length packets for the delayer and
    // drops the rest (the sender is not told: sendto succeeds); the drops
    // show in the delayer's kernel_dropped, read from the namespace's
    // nfnetlink_queue table.
    ShapingOptions small;
    small.queue_length = 64;
    auto link = shape_a_to_b(lab, shape, small);
    const ProbeRun run = testing::send_probes(lab, 1000, Duration::zero(), Duration::milliseconds(600));
    const auto stats = link->delayer_stats();
    std::printf("shaping: burst of 1000 into a queue of 64: %zu sent, %zu arrived, kernel dropped %llu\n", run.sent,
                run.one_way_ms.size(), (unsigned long long)stats->kernel_dropped);
    BOOST_TEST(run.sent == 1000u);
    BOOST_TEST(stats->kernel_dropped > 0u);
    BOOST_TEST(run.one_way_ms.size() + stats->kernel_dropped == run.sent);  // every packet arrived or was counted
    BOOST_TEST(stats->packets == run.one_way_ms.size());
  }
  {
    // The default queue takes a burst whole.
    auto link = shape_a_to_b(lab, shape);
    const ProbeRun run = testing::send_probes(lab, 5000, Duration::zero(), Duration::milliseconds(800));
    const auto stats = link->delayer_stats();
    std::printf("shaping: burst of 5000, default queue: %zu arrived, most held %zu, kernel dropped %llu\n",
                run.one_way_ms.size(), stats->max_held, (unsigned long long)stats->kernel_dropped);
    BOOST_TEST(run.sent == 5000u);
    BOOST_TEST(run.one_way_ms.size() == 5000u);
    BOOST_TEST(stats->kernel_dropped == 0u);
  }
}

// ping's "rtt min/avg/max/mdev = a/b/c/d ms": the minimum, ms; -1 if absent.
double ping_min_rtt(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("= ([0-9.]+)/([0-9.]+)/([0-9.]+)/"))) return -1;
  return std::stod(m[1]);
}

BOOST_AUTO_TEST_CASE(ipv6_is_held_as_ipv4_is) {
  VethLab lab(/*ipv6=*/true);
  BOOST_TEST_REQUIRE(lab.ok());
  LinkShape shape;
  shape.delay = Duration::milliseconds(20);
  auto link = shape_a_to_b(lab, shape);
  // One direction shaped: a round trip takes the 20 ms once.
  for (const char* to : {"10.77.0.2", "fd77::2"}) {
    const auto ping = testing::run_process({"ip", "netns", "exec", lab.a(), "ping", "-c", "5", "-i", "0.2", "-W", "2", to});
    BOOST_TEST_REQUIRE(ping.exit_code == 0, ping.describe());
    const double rtt = ping_min_rtt(ping.out);
    std::printf("shaping: 20 ms one way, ping %s: min rtt %.3f ms\n", to, rtt);
    BOOST_TEST(rtt >= 20.0);
    BOOST_TEST(rtt <= 25.0);
  }
}

BOOST_AUTO_TEST_CASE(a_missing_device_is_named_and_leaves_nothing) {
  VethLab lab;
  BOOST_TEST_REQUIRE(lab.ok());
  LinkShape shape;
  shape.delay = Duration::milliseconds(10), shape.rate_bps = 1'000'000;
  ShapingOptions o;
  o.mechanism = ShapingMechanism::nfqueue;
  auto link = ShapedLink::install(LinkEnd{lab.a(), "nosuch0"}, LinkEnd{lab.b(), "vb"}, shape, o);
  BOOST_TEST_REQUIRE(!link.ok());
  BOOST_TEST(link.error().message.find("nosuch0") != std::string::npos, link.error().message);
  std::string what;
  BOOST_TEST(!anything_left(lab, &what), what);
  auto nowhere = ShapedLink::install(LinkEnd{lab.a(), "va"}, LinkEnd{"tether-no-such-namespace", "vb"}, shape, o);
  BOOST_TEST_REQUIRE(!nowhere.ok());
  BOOST_TEST(nowhere.error().message.find("tether-no-such-namespace") != std::string::npos, nowhere.error().message);
}

BOOST_AUTO_TEST_CASE(netem_is_found_where_the_kernel_config_has_it) {
  const auto config = testing::run_process({"sh", "-c", "zcat /proc/config.gz | grep NET_SCH_NETEM"});
  if (config.out.empty()) return testing::skip("no /proc/config.gz to hold kernel_has_netem() against");
  const bool configured = config.out.find("CONFIG_NET_SCH_NETEM=y") != std::string::npos ||
                          config.out.find("CONFIG_NET_SCH_NETEM=m") != std::string::npos;
  std::printf("shaping: netem %s in the kernel config, kernel_has_netem() %d\n", configured ? "on" : "off", int(kernel_has_netem()));
  if (!configured) BOOST_TEST(!kernel_has_netem());
  else BOOST_TEST_MESSAGE("netem configured (a module may still not load): kernel_has_netem() " << kernel_has_netem());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
