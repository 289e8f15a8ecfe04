// `tether-pcap compare` on simulation runs, as a user runs it: a run's
// result directory against itself passes with every distance 0; against the
// same scenario with another persistent keepalive it fails (exit 1) naming
// the keepalive interval; a capture file against a result directory reads
// both; bad input (a missing file, an empty directory, a run without
// captures, a tolerance that does not parse) exits 2 with a message naming
// it.

#include <boost/test/unit_test.hpp>

#include "pcap/compare.h"
#include "pcap/result_directory.h"
#include "pcap/sim_run.h"

namespace tether::pcap {
namespace {

using namespace testing;
using tether::testing::ProcessResult;
using tether::testing::run_process;
using tether::testing::TestDirectory;

// nat-expiry for 20 minutes (3 messages): the home's keepalive as shipped
// (25 s), and 10 s.
struct Runs {
  TestDirectory dir{"tether-pcap-compare"};
  std::string shipped = (dir / "keepalive-25").string();
  std::string keepalive_10 = (dir / "keepalive-10").string();
  Runs() {
    const std::vector<std::string> cut = {"duration=20m", "workload.count=3", "workload.start=2m",
                                          "workload.interval=5m"};
    run_sim("nat-expiry.yaml", shipped, cut);
    auto other = cut;
    other.push_back("hosts.carinho.persistent_keepalive=10");
    run_sim("nat-expiry.yaml", keepalive_10, other);
  }
};

const Runs& runs() {
  static const Runs made;
  return made;
}

ProcessResult tether_pcap(std::vector<std::string> args) {
  args.insert(args.begin(), {TETHER_PCAP_BINARY, "compare"});
  return run_process(args, "", Duration::seconds(60));
}

BOOST_AUTO_TEST_SUITE(compare_command)

BOOST_AUTO_TEST_CASE(a_run_against_itself_passes_with_every_distance_zero) {
  const std::string run = runs().shipped;
  auto r = tether_pcap({run, run, "--tolerance-count", "0", "--tolerance-ks", "0", "--tolerance-w1", "0",
                        "--tolerance-time", "0"});
  BOOST_TEST(r.exit_code == 0, r.describe());
  BOOST_TEST(r.out.find("Result: within every bound") != std::string::npos, r.out);
  // The same through the library: every distance exactly 0, on every link end.
  auto timeline = build_timeline_of_inputs({run}, {}, {"*"}, {});
  BOOST_TEST_REQUIRE(timeline.ok());
  auto c = compare_timelines(timeline->events, timeline->events, {});
  BOOST_TEST_REQUIRE(c.ok());
  BOOST_TEST(c->intervals.size() >= 4u);
  for (const IntervalComparison& i : c->intervals) {
    BOOST_TEST_CONTEXT(i.key) {
      BOOST_TEST(*i.ks == 0.0);
      BOOST_TEST(*i.w1 == 0.0);
    }
  }
  for (const MatchedTimes& m : c->matched) BOOST_TEST(m.max_abs_s == 0.0, m.key);
  BOOST_TEST(c->pass());
}

BOOST_AUTO_TEST_CASE(a_capture_file_against_its_result_directory_passes) {
  const std::string run = runs().shipped;
  auto r = tether_pcap({run + "/pcap/lan-0.pcap", run, "--keylog", run + "/pcap/carinho-wg-keys.log",
                        "--tolerance-count", "0", "--tolerance-w1", "0"});
  BOOST_TEST(r.exit_code == 0, r.describe());
  BOOST_TEST(r.out.find("wg/smtp.transaction") != std::string::npos, r.out);  // decrypted on both sides
}

BOOST_AUTO_TEST_CASE(another_persistent_keepalive_fails_naming_the_keepalive_interval) {
  auto r = tether_pcap({runs().shipped, runs().keepalive_10});
  BOOST_TEST(r.exit_code == 1, r.describe());
  BOOST_TEST(
      r.out.find(
          "wg.keepalive.initiator intervals (keepalive interval, sent by the session's initiator): W1 ") !=
          std::string::npos,
      r.out);
  BOOST_TEST(r.out.find("(medians 25.00") != std::string::npos, r.out);  // A: 25 s
  BOOST_TEST(r.out.find(" s in A, 10.00") != std::string::npos, r.out);  // B: 10 s
  // The JSON says the same, for programs.
  r = tether_pcap({runs().shipped, runs().keepalive_10, "--format", "json"});
  BOOST_TEST(r.exit_code == 1, r.describe());
  auto check = run_process(
      {"/usr/bin/python3", "-c",
       "import json, sys\n"
       "d = json.load(sys.stdin)\n"
       "assert d['pass'] is False\n"
       "k = [i for i in d['intervals'] if i['kind'] == 'wg.keepalive.initiator'][0]\n"
       "assert k['pass'] is False and 24.9 < k['a']['median'] < 25.1 and 9.9 < k['b']['median'] < 10.1, k\n"
       "assert any('keepalive interval' in f for f in d['failures'])\n"},
      r.out);
  BOOST_TEST(check.exit_code == 0, check.describe());
  // Loose enough bounds, per kind, pass it.
  r = tether_pcap({runs().shipped, runs().keepalive_10, "--tolerance", "wg.keepalive*:count=off",
                   "--tolerance", "wg.keepalive*:w1=off"});
  BOOST_TEST(r.exit_code == 0, r.describe());
}

BOOST_AUTO_TEST_CASE(bad_input_exits_2_naming_it) {
  TestDirectory dir("tether-pcap-compare-bad");
  const std::string run = runs().shipped;
  const std::string missing = (dir / "missing.pcap").string();
  std::filesystem::create_directories(dir / "empty");
  std::filesystem::create_directories(dir / "no-pcap");
  std::filesystem::copy_file(run + "/results.json", dir / "no-pcap" / "results.json");
  std::filesystem::copy_file(run + "/events.csv", dir / "no-pcap" / "events.csv");
  const std::string empty = (dir / "empty").string(), no_pcap = (dir / "no-pcap").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{missing, run}, "tether-pcap compare: A: " + missing},
      {{run, empty}, "tether-pcap compare: B: " + empty + ": no captures"},
      {{no_pcap, run},
       "tether-pcap compare: A: " + no_pcap +
           ": a result directory without captures (no pcap/ in it): "
           "run the scenario again with --pcap"},
      {{run, run, "--link", "lte-*"},
       "tether-pcap compare: A: " + run + ": no link matches --link lte-*; its links are "},
      {{run, run, "--tolerance", "w2=1s"}, "tether-pcap compare: --tolerance 'w2=1s': unknown measure 'w2'"},
      {{run, run, "--tolerance", "keepalive"},
       "tether-pcap compare: --tolerance 'keepalive': expected [KINDS:]MEASURE=VALUE"},
      {{run, run, "--tolerance-w1", "fast"},
       "tether-pcap compare: --tolerance-w1 fast: 'fast': expected a duration"},
      {{run, run, "--tolerance-ks", "2"},
       "tether-pcap compare: --tolerance-ks 2: '2': the KS statistic lies between 0 and 1"},
      {{run, run, "--span", "-5s"}, "tether-pcap compare: --span '-5s': expected a positive duration"},
      {{run, run, "--anchor", "wg.cookie-reply"},
       "tether-pcap compare: A: no event of kind wg.cookie-reply to anchor on"},
  };
  for (const auto& [args, message] : cases) {
    BOOST_TEST_CONTEXT(args[0] << " " << args[1] << (args.size() > 2 ? " " + args[2] + " " + args[3] : "")) {
      auto r = tether_pcap(args);
      BOOST_TEST(r.exit_code == 2, r.describe());
      BOOST_TEST(r.err.find(message) == 0u, r.err);
      BOOST_TEST(r.out.empty());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
