// tether-sim as a user runs it, on bad input: each case exits 2 with
// "FILE:LINE: field.path: message" (or the option it came from) on stderr,
// before anything runs: no results directory is made, no node written.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/run_process.h"

using namespace tether;
using namespace tether::testing;

namespace {

const std::filesystem::path kScenarios = std::filesystem::path(TETHER_SOURCE_DIR) / "scenarios";

// backup-mx-fallback.yaml with its configs named by absolute path, so a
// copy of it in a test directory runs the same world.
std::string shipped_text() {
  std::ifstream in(kScenarios / "backup-mx-fallback.yaml");
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  const std::string from = ": backup-mx-fallback/", to = ": " + (kScenarios / "backup-mx-fallback").string() + "/";
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  BOOST_TEST_REQUIRE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

int line_of(const std::string& text, const std::string& what) {
  const auto at = text.find(what);
  BOOST_TEST_REQUIRE(at != std::string::npos, what);
  return 1 + int(std::count(text.begin(), text.begin() + std::ptrdiff_t(at), '\n'));
}

struct Run {
  TestDirectory dir{"tether-sim-cli"};
  ProcessResult result;
  std::filesystem::path out() const { return dir / "out"; }

  // Runs tether-sim on `text` as x.yaml, results to DIR/out unless `extra`
  // says otherwise.
  void operator()(const std::string& text, std::vector<std::string> extra = {}) {
    write_file(dir / "x.yaml", text, 0644);
    std::vector<std::string> argv = {TETHER_SIM_BINARY, (dir / "x.yaml").string()};
    bool has_out = false;
    for (const std::string& e : extra) has_out |= e == "--out";
    if (!has_out) extra.insert(extra.end(), {"--out", out().string()});
    argv.insert(argv.end(), extra.begin(), extra.end());
    result = run_process(argv);
  }
  // Exit 2, the error on stderr, and nothing run.
  void refused_with(const std::string& error) const {
    BOOST_TEST(result.exit_code == 2, result.describe());
    BOOST_TEST(result.err.find(error) != std::string::npos, result.describe());
    BOOST_TEST(!std::filesystem::exists(out() / "nodes"), result.describe());
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tether_sim_cli)

BOOST_AUTO_TEST_CASE(negative_interval_start_and_delay_are_refused_with_their_line) {
  const std::string shipped = shipped_text();
  Run run;
  std::string text = replaced(shipped, "interval: 10m", "interval: -10m");
  run(text);
  run.refused_with("x.yaml:" + std::to_string(line_of(text, "interval: -10m")) + ": workload.interval: '-10m' is negative");
  text = replaced(shipped, "start: 10m", "start: -1m");
  run(text);
  run.refused_with("x.yaml:" + std::to_string(line_of(text, "start: -1m")) + ": workload.start: '-1m' is negative");
  text = replaced(shipped, "delay: 20ms}", "delay: -20ms}");
  run(text);
  run.refused_with("x.yaml:" + std::to_string(line_of(text, "delay: -20ms")) + ": links.0.delay: '-20ms' is negative");
}

BOOST_AUTO_TEST_CASE(a_duplicated_key_is_refused_naming_both_lines) {
  const std::string text = replaced(shipped_text(), "  count: 48\n", "  count: 48\n  count: 2\n");
  Run run;
  run(text);
  const int first = line_of(text, "count: 48");
  run.refused_with("x.yaml:" + std::to_string(first + 1) + ": workload.count: duplicated key (first at line " +
                   std::to_string(first) + ")");
}

BOOST_AUTO_TEST_CASE(a_file_cut_at_a_line_boundary_is_refused) {
  const std::string shipped = shipped_text();
  // Cut just before the workload, and just before the outputs section.
  Run run;
  run(shipped.substr(0, shipped.find("workload:")));
  run.refused_with(": workload: missing");
  run(shipped.substr(0, shipped.find("outputs:")));
  run.refused_with(": outputs: missing");
}

BOOST_AUTO_TEST_CASE(set_through_a_missing_key_names_it_and_the_closest) {
  Run run;
  run(shipped_text(), {"--set", "hosts.mx9.role=relay"});
  run.refused_with("--set hosts.mx9.role=relay: hosts.mx9 does not exist in the file (the closest is hosts.mx2)");
}

BOOST_AUTO_TEST_CASE(an_unwritable_out_is_refused_before_the_run) {
  Run run;
  // Root may write anywhere; a result file that is a directory it may not.
  std::filesystem::create_directories(run.out() / "results.json");
  run(shipped_text());
  run.refused_with("--out " + run.out().string() + ": results.json there is not a file");
  write_file(run.dir / "a-file", "x", 0644);
  run(shipped_text(), {"--out", (run.dir / "a-file" / "out").string()});
  BOOST_TEST(run.result.exit_code == 2, run.result.describe());
  BOOST_TEST(run.result.err.find("--out " + (run.dir / "a-file" / "out").string() + ": cannot create") != std::string::npos,
             run.result.describe());
}

BOOST_AUTO_TEST_CASE(a_broken_host_config_names_the_yaml_line_and_its_own) {
  Run run;
  write_file(run.dir / "smtpd.conf", "listen on 0.0.0.0\nmatch frm any action x\n", 0644);
  const std::string mx2 = "smtpd: " + (kScenarios / "backup-mx-fallback/mx2/etc/mail/smtpd.conf").string();
  const std::string text = replaced(shipped_text(), mx2, "smtpd: " + (run.dir / "smtpd.conf").string());
  run(text);
  run.refused_with("x.yaml:" + std::to_string(line_of(text, "smtpd: " + (run.dir / "smtpd.conf").string())) +
                   ": hosts.mx2.smtpd: smtpd.conf:2: unknown keyword 'frm'");
}

BOOST_AUTO_TEST_SUITE_END()
