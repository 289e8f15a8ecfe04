// tether-compare SCENARIO.yaml [--seed N] [--out DIR] [--set k=v ...] [--tolerance NAME=BOUND ...]
//   [--link GLOB ...] [--keep-going] [--reuse-runs]
// Runs a scenario in the lab (tether-lab, real time, into DIR/lab) and in
// the simulation (tether-sim, into DIR/sim) with the same seed and --set,
// and prints their figures side by side (lab/compare/README.md). Root only.
// Exit status 0 within every bound, 1 outside one, 2 on bad input (usage,
// an invalid scenario, one the lab refuses, no root) or a failed run.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_line.h"
#include "cli/scenario_run_options.h"
#include "lab/compare/compare_run.h"

namespace {

constexpr int kBadInputOrFailedRun = 2;

// tether-lab and tether-sim from beside this executable (the build's), as
// tether-lab takes tetherd; else from PATH.
void find_worlds(tether::lab::CompareRunOptions& options) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return;
  for (auto [name, path] : {std::pair{"tether-lab", &options.tether_lab}, std::pair{"tether-sim", &options.tether_sim}})
    if (std::filesystem::exists(self.parent_path() / name)) *path = self.parent_path() / name;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Runs a scenario in the lab and in the simulation and sets their figures side by side.",
               "tether-compare");
  tether::cli::set_synopsis(app, {"tether-compare SCENARIO.yaml [--seed N] [--out DIR] [--set path.to.key=value ...] "
                                  "[--tolerance NAME=BOUND ...] [--link GLOB ...] [--keep-going] [--reuse-runs]"});
  tether::cli::ScenarioRunArguments arguments;
  tether::cli::add_scenario_run_options(app, arguments);
  std::vector<std::string> tolerances;
  tether::lab::CompareRunOptions options;
  app.add_option("--tolerance", tolerances,
                 "NAME=BOUND[,BOUND] (repeatable, later wins): a figure (delivered, undelivered, bounced, via_backup, "
                 "latency[.p50|.p95|.max], availability, handshakes, keepalives, nat_expiries, retries) with bounds "
                 "N, N% or a duration (the largest wins), or off; or a tether-pcap compare rule for the uplink "
                 "([KINDS:]count|ks|w1|time=V, order=exact|prefix|off)")
      ->allow_extra_args(false);  // one rule per --tolerance: SCENARIO.yaml may follow
  app.add_option("--link", options.uplink_links, "the captures compared, globs on LINK-N (default uplink-0)")
      ->allow_extra_args(false);
  app.add_flag("--keep-going", options.keep_going, "run the simulation even when the lab's run fails");
  app.add_flag("--reuse-runs", options.reuse_runs,
               "compare the runs already in DIR/lab and DIR/sim (e.g. with other tolerances); needs no root");
  if (auto exit_code = tether::cli::parse_or_exit(app, argc, argv, kBadInputOrFailedRun)) return *exit_code;
  if (arguments.pcap) std::fprintf(stderr, "tether-compare: --pcap is implied: both worlds capture\n");

  if (geteuid() != 0 && !options.reuse_runs) {
    std::fprintf(stderr, "tether-compare: needs root (tether-lab: network namespaces, nftables, tetherd on TUN devices)\n");
    return kBadInputOrFailedRun;
  }
  for (const auto& rule : tolerances)
    if (auto added = options.bounds.add(rule); !added.ok()) {
      std::fprintf(stderr, "tether-compare: %s\n", added.error().message.c_str());
      return kBadInputOrFailedRun;
    }
  options.scenario_file = arguments.scenario_file;
  options.overrides = arguments.overrides;
  options.out_dir = arguments.out_dir;
  find_worlds(options);
  options.progress = [](const std::string& line) { std::fprintf(stderr, "tether-compare: %s\n", line.c_str()); };
  auto run = tether::lab::run_compare(options);
  if (!run.ok()) {
    std::fprintf(stderr, "tether-compare: %s\n", run.error().message.c_str());
    return kBadInputOrFailedRun;
  }
  std::fputs(run->report.c_str(), stdout);
  std::printf("results    %s/{lab,sim,compare.json,uplink-compare.txt}\n", run->out_dir.string().c_str());
  return static_cast<int>(run->outcome);
}
