// smtp-over-wireguard.txt's two tcpdump traces (lines 190-230: OpenBSD wg(4)
// at both ends, `wgpka 10`, IPv6, port 6900) held against a simulation of the
// same setup, scenarios/article-wg-keepalive.yaml, by compare_timelines at
// the tolerances docs/pcap.md states for them.
//
// The traces are read as tcpdump text (pcap/text_trace.h), as a user runs
//   tether-pcap compare TRACE.txt RUN --date 2026-01-01 --anchor wg.initiation --span 81s ...
// which is run here too, for its exit status.

#include <boost/test/unit_test.hpp>

#include "pcap/compare.h"
#include "pcap/compare_report.h"
#include "pcap/result_directory.h"
#include "pcap/sim_run.h"

namespace tether::pcap {
namespace {

using namespace testing;
using tether::testing::TestDirectory;

const std::string kData = TETHER_PCAP_TEST_DATA;
// The article's traces, as p-text checked them in (tests/pcap/data/): the
// tcpdump lines as printed, with the article's captions around them.
const std::string kKeepaliveTrace = kData + "/article-keepalives-0755.txt";      // lines 202-215
const std::string kRetryTrace = kData + "/article-initiation-retries-0722.txt";  // lines 218-237

// The trace read as text, its times of day on the simulation's date
// (the article prints none).
std::vector<TimelineEvent> trace(const std::string& path) {
  TimelineOptions options;
  options.text_date = CivilDate{2026, 1, 1};
  auto t = build_timeline({path}, options);
  BOOST_TEST_REQUIRE(t.ok(), (t.ok() ? std::string() : t.error().message));
  BOOST_TEST(t->problems.empty());
  return t->events;
}

// The simulation's home link (lan-0: carinho's own capture, as the article's
// tcpdump ran on carinho), compared from each side's first initiation over
// the span of the trace.
Comparison compare_with_run(const std::vector<TimelineEvent>& article, const std::string& run, Duration span,
                            const std::vector<std::string>& tolerances) {
  auto sim = build_timeline_of_inputs({run}, {}, {}, {});
  BOOST_TEST_REQUIRE(sim.ok(), (sim.ok() ? std::string() : sim.error().message));
  CompareOptions options;
  options.anchor = "wg.initiation";
  options.span = span;
  for (const std::string& t : tolerances) BOOST_TEST_REQUIRE(options.tolerances.add(t).ok(), t);
  auto c = compare_timelines(article, sim->events, options);
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
  const Comparison c = compare_with_run(trace(kKeepaliveTrace), run, Duration::seconds(81), stated);
  BOOST_TEST(c.pass(), failures(c));
  BOOST_TEST(c.a.events == 12u);  // the trace's every line
  BOOST_TEST(c.a.left_out == 0u);
  // A different setup fails at those tolerances: keepalive 25 at the home.
  const std::string other = (dir / "keepalive-25").string();
  run_sim("article-wg-keepalive.yaml", other, {"hosts.carinho.persistent_keepalive=25"});
  BOOST_TEST(!compare_with_run(trace(kKeepaliveTrace), other, Duration::seconds(81), stated).pass());
  // The command says the same by its exit status.
  const std::vector<std::string> command = {
      TETHER_PCAP_BINARY, "compare",    kKeepaliveTrace,     "",
      "--date",           "2026-01-01", "--anchor",          "wg.initiation",
      "--span",           "81s",        "--tolerance-count", "0",
      "--tolerance-w1",   "10ms",       "--tolerance-time",  "20ms"};
  for (const auto& [against, exit_code] : {std::pair{run, 0}, std::pair{other, 1}}) {
    auto argv = command;
    argv[3] = against;
    auto r = tether::testing::run_process(argv, "", Duration::seconds(60));
    BOOST_TEST(r.exit_code == exit_code, r.describe());
  }
}

// Initiation retries 5 s plus up to 333 ms apart, on 10 ms ticks: every
// count equal, the spacing within 150 ms (W1), the eighth retry within 1 s
// of the article's (the jitter adds up).
BOOST_AUTO_TEST_CASE(the_unanswered_initiations_match_the_simulated_setup_with_the_port_closed) {
  TestDirectory dir("tether-pcap-article");
  const std::string run = (dir / "port-closed").string();
  run_sim("article-wg-keepalive.yaml", run,
          {"hosts.namorar.tunnel=article-wg-keepalive/namorar-wg0-port-closed.conf"});
  const Comparison c = compare_with_run(trace(kRetryTrace), run, Duration::seconds(37),
                                        {"count=0", "order=exact", "w1=150ms", "time=1s"});
  BOOST_TEST(c.pass(), failures(c));
  BOOST_TEST(c.a.events == 16u);  // 8 initiations, 8 unreachables
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
