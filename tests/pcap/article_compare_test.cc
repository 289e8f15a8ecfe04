// smtp-over-wireguard.txt's two tcpdump traces (lines 190-230: OpenBSD wg(4)
// at both ends, `wgpka 10`, IPv6, port 6900) held against a simulation of the
// same setup, scenarios/article-wg-keepalive.yaml, by compare_timelines at
// the tolerances docs/pcap.md states for them.
//
// The traces are transcribed here event by event, each row from its line
// (times, addresses, indexes and nonces as printed), so that the comparison
// stands before tcpdump text is read as a timeline (pcap/text_trace.*, issue
// 11's text traces); once it is, the same comparison reads the article's
// text itself.

#include <boost/test/unit_test.hpp>

#include <cstdio>

#include "pcap/compare.h"
#include "pcap/compare_report.h"
#include "pcap/result_directory.h"
#include "pcap/sim_run.h"

namespace tether::pcap {
namespace {

using namespace testing;
using tether::testing::TestDirectory;

constexpr const char* kHome = "[2001:db8:dd::dd]:6900";             // carinho
constexpr const char* kVm = "[2001:db8:1234:1234::c155]:6900";      // namorar

// One line of the trace: HH:MM:SS.micro, which way, and what tcpdump's
// [wg] decoding says.
struct Line {
  const char* time;
  bool from_home;
  const char* kind;  // initiation, response, keepalive, unreachable
  std::uint32_t sender = 0, receiver = 0;
  std::uint64_t nonce = 0;
};

TimelineEvent event_of(const Line& l) {
  int h, m, s, micro;
  BOOST_TEST_REQUIRE(std::sscanf(l.time, "%d:%d:%d.%d", &h, &m, &s, &micro) == 4);
  TimelineEvent e;
  // The article's day is not printed; the simulation's epoch is 2026-01-01.
  e.at = WallTime::from_unix_ns((1767225600LL + h * 3600 + m * 60 + s) * 1000'000'000 + micro * 1000LL);
  e.source = l.from_home ? kHome : kVm;
  e.destination = l.from_home ? kVm : kHome;
  e.kind = l.kind;
  if (std::string(l.kind) == "unreachable") {
    // "c155 > dd::dd: icmp6: ... udp port 6900 unreachable", quoting the initiation
    e.source = "2001:db8:1234:1234::c155";
    e.destination = "2001:db8:dd::dd";
    e.protocol = "icmp";
    return e;
  }
  e.protocol = "wg";
  const std::string kind = l.kind;
  e.wg_type = kind == "initiation" ? 1 : kind == "response" ? 2 : 4;
  if (l.sender) e.wg_sender = l.sender;
  if (l.receiver) e.wg_receiver = l.receiver;
  if (kind == "keepalive") e.wg_counter = l.nonce, e.wg_keepalive = true;
  return e;
}

std::vector<TimelineEvent> events_of(const std::vector<Line>& lines) {
  std::vector<TimelineEvent> out;
  for (const Line& l : lines) out.push_back(event_of(l));
  return out;
}

// Lines 202-215: the handshake and keepalives once `wgpka 10` is set at both ends.
const std::vector<Line> kKeepaliveTrace = {
    {"07:55:05.580987", true, "initiation", 0xcc7658fd},
    {"07:55:05.582596", false, "response", 0x1a8fb576, 0xcc7658fd},
    {"07:55:05.582847", true, "keepalive", 0, 0x1a8fb576, 0},
    {"07:55:05.583282", false, "keepalive", 0, 0xcc7658fd, 0},
    {"07:55:15.574392", false, "keepalive", 0, 0xcc7658fd, 1},
    {"07:55:25.568244", true, "keepalive", 0, 0x1a8fb576, 1},
    {"07:55:35.564557", false, "keepalive", 0, 0xcc7658fd, 2},
    {"07:55:45.558613", true, "keepalive", 0, 0x1a8fb576, 2},
    {"07:55:55.554651", false, "keepalive", 0, 0xcc7658fd, 3},
    {"07:56:05.548979", true, "keepalive", 0, 0x1a8fb576, 3},
    {"07:56:15.544802", false, "keepalive", 0, 0xcc7658fd, 4},
    {"07:56:25.539347", true, "keepalive", 0, 0x1a8fb576, 4},
};

// Lines 222-237: the VM's port closed, each initiation answered by an ICMPv6
// port unreachable.
const std::vector<Line> kRetryTrace = {
    {"07:22:43.614211", true, "initiation", 0x52502bb7}, {"07:22:43.614712", false, "unreachable"},
    {"07:22:48.814304", true, "initiation", 0xce928477}, {"07:22:48.814895", false, "unreachable"},
    {"07:22:53.964395", true, "initiation", 0x2279de96}, {"07:22:53.964885", false, "unreachable"},
    {"07:22:59.274488", true, "initiation", 0x86231b0a}, {"07:22:59.275081", false, "unreachable"},
    {"07:23:04.604587", true, "initiation", 0xa45db3b9}, {"07:23:04.605079", false, "unreachable"},
    {"07:23:09.914680", true, "initiation", 0xf424b90c}, {"07:23:09.915173", false, "unreachable"},
    {"07:23:15.004771", true, "initiation", 0xdb06d1db}, {"07:23:15.005243", false, "unreachable"},
    {"07:23:20.264864", true, "initiation", 0x85729bfc}, {"07:23:20.265360", false, "unreachable"},
};

// The simulation's home link (lan-0: carinho's own capture, as the article's
// tcpdump ran on carinho), compared from each side's first initiation over
// the span of the trace.
Comparison compare_with_run(const std::vector<TimelineEvent>& trace, const std::string& run, Duration span,
                            const std::vector<std::string>& tolerances) {
  auto sim = build_timeline_of_inputs({run}, {}, {}, {});
  BOOST_TEST_REQUIRE(sim.ok(), (sim.ok() ? std::string() : sim.error().message));
  CompareOptions options;
  options.anchor = "wg.initiation";
  options.span = span;
  for (const std::string& t : tolerances) BOOST_TEST_REQUIRE(options.tolerances.add(t).ok(), t);
  auto c = compare_timelines(trace, sim->events, options);
  BOOST_TEST_REQUIRE(c.ok());
  BOOST_TEST_MESSAGE(comparison_text(*c, {"smtp-over-wireguard.txt", run}));
  return *c;
}

std::string failures(const Comparison& c) {
  std::string out;
  for (const std::string& f : c.failures) out += f + "\n";
  return out;
}

BOOST_AUTO_TEST_SUITE(article_compare)

// The tolerances docs/pcap.md states: every count equal, the control
// messages in the same order, each keepalive interval distribution within
// 10 ms (W1), each keepalive within 20 ms of its match.
BOOST_AUTO_TEST_CASE(the_keepalive_trace_matches_the_simulated_setup) {
  TestDirectory dir("tether-pcap-article");
  const std::string run = (dir / "keepalive").string();
  run_sim("article-wg-keepalive.yaml", run, {});
  const std::vector<std::string> stated = {"count=0", "order=exact", "w1=10ms", "time=20ms"};
  const Comparison c = compare_with_run(events_of(kKeepaliveTrace), run, Duration::seconds(81), stated);
  BOOST_TEST(c.pass(), failures(c));
  BOOST_TEST(c.a.events == kKeepaliveTrace.size());
  // A different setup fails at those tolerances: keepalive 25 at the home.
  const std::string other = (dir / "keepalive-25").string();
  run_sim("article-wg-keepalive.yaml", other, {"hosts.carinho.persistent_keepalive=25"});
  BOOST_TEST(!compare_with_run(events_of(kKeepaliveTrace), other, Duration::seconds(81), stated).pass());
}

// Initiation retries 5 s plus up to 333 ms apart, on 10 ms ticks: every
// count equal, the spacing within 150 ms (W1), the eighth retry within 1 s
// of the article's (the jitter adds up).
BOOST_AUTO_TEST_CASE(the_unanswered_initiations_match_the_simulated_setup_with_the_port_closed) {
  TestDirectory dir("tether-pcap-article");
  const std::string run = (dir / "port-closed").string();
  run_sim("article-wg-keepalive.yaml", run,
          {"hosts.namorar.tunnel=article-wg-keepalive/namorar-wg0-port-closed.conf"});
  const Comparison c = compare_with_run(events_of(kRetryTrace), run, Duration::seconds(37),
                                        {"count=0", "order=exact", "w1=150ms", "time=1s"});
  BOOST_TEST(c.pass(), failures(c));
  BOOST_TEST(c.a.events == kRetryTrace.size());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
