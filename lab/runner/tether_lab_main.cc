// tether-lab SCENARIO.yaml [--seed N] [--out DIR] [--set k=v ...] [--pcap] [--keep] [--max-duration SECONDS]
// Runs a scenario in real time on Linux network namespaces with real
// tetherd processes (lab/runner/README.md) and prints the simulation's
// summary table; the results go to DIR as tether-sim writes them. Root
// only. Exit status 2 on bad usage, an invalid scenario, a scenario the lab
// cannot realise or no root, all before anything is made; 1 if the run
// fails. `tether-lab --remove PREFIX` removes a world left by --keep.

#include <unistd.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_line.h"
#include "cli/scenario_run_options.h"
#include "lab/runner/lab_run.h"
#include "lab/world/signal_cleanup.h"
#include "lab/world/world_record.h"
#include "scenario/scenario_parser.h"

namespace {

constexpr int kUsageExit = 2;

int remove_world(const std::string& prefix) {
  const auto left = tether::lab::remove_leftovers(prefix);
  for (const auto& l : left) std::fprintf(stderr, "tether-lab: could not remove %s\n", l.c_str());
  return left.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // First, before any thread: SIGINT/SIGTERM remove the world.
  tether::lab::SignalCleanup::install();
  CLI::App app("Runs a scenario in the namespace lab (real tetherd, real time) and prints its summary table.",
               "tether-lab");
  tether::cli::set_synopsis(app, {"tether-lab SCENARIO.yaml [--seed N] [--out DIR] [--set path.to.key=value ...] "
                                  "[--pcap] [--keep] [--max-duration SECONDS]",
                                  "tether-lab --remove PREFIX"});
  // Before the scenario's options, which require SCENARIO.yaml.
  if (argc == 3 && std::string(argv[1]) == "--remove") {
    if (geteuid() != 0) {
      std::fprintf(stderr, "tether-lab: needs root (network namespaces, nftables, tetherd on TUN devices)\n");
      return kUsageExit;
    }
    return remove_world(argv[2]);
  }
  tether::cli::ScenarioRunArguments arguments;
  tether::cli::add_scenario_run_options(app, arguments);
  bool keep = false;
  double max_duration = 15 * 60;
  app.add_flag("--keep", keep, "leave the world standing for inspection (prints how to remove it)");
  app.add_option("--max-duration", max_duration, "refuse a scenario longer than this many seconds (default 900)");
  if (auto exit_code = tether::cli::parse_or_exit(app, argc, argv, kUsageExit)) return *exit_code;

  if (geteuid() != 0) {
    std::fprintf(stderr, "tether-lab: needs root (network namespaces, nftables, tetherd on TUN devices)\n");
    return kUsageExit;
  }
  auto parsed = tether::scenario::load_scenario(arguments.scenario_file, arguments.overrides);
  if (!parsed.ok()) {
    std::fprintf(stderr, "tether-lab: invalid scenario\n%s", parsed.error_text().c_str());
    return kUsageExit;
  }
  tether::lab::LabRunOptions options;
  options.out_dir = arguments.out_dir;
  options.pcap = arguments.pcap;
  options.keep = keep;
  options.max_duration = tether::Duration::milliseconds(static_cast<std::int64_t>(max_duration * 1000));
  // Beside this executable first: the build's tetherd, not another in PATH.
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && std::filesystem::exists(self.parent_path() / "tetherd")) {
    options.tetherd = self.parent_path() / "tetherd";
    options.tetherctl = self.parent_path() / "tetherctl";
  }
  options.on_world_built = [](const std::string& prefix) {
    std::fprintf(stderr, "tether-lab: world %s built (after a crash: tether-lab --remove %s)\n", prefix.c_str(),
                 prefix.c_str());
  };
  auto run = tether::lab::run_lab(parsed.scenario, options);
  tether::lab::SignalCleanup::finish_if_ending();
  if (!run.ok()) {
    const bool refused = run.error().code == tether::ErrorCode::invalid_argument;
    std::fprintf(stderr, "tether-lab: %s\n", run.error().to_string().c_str());
    return refused ? kUsageExit : 1;
  }
  std::fputs(run->summary.c_str(), stdout);
  std::printf("results    %s/{results.json,messages.csv,events.csv,lab.json}\n", run->out_dir.string().c_str());
  if (run->kept)
    std::printf("kept       world %s; remove it with: tether-lab --remove %s\n", run->prefix.c_str(),
                run->prefix.c_str());
  return 0;
}
