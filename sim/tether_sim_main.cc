// tether-sim SCENARIO.yaml [--seed N] [--out DIR] [--set path.to.key=value ...] [--pcap]
// Runs a scenario (scenarios/README.md) and prints its summary table; the
// results go to DIR (default: the scenario's outputs.dir). Exit status 2 on
// bad usage, an invalid scenario (every error printed) or a results
// directory that cannot be written, all found before the run; 1 if the run
// fails.

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/command_line.h"
#include "cli/scenario_run_options.h"
#include "scenario/results_writer.h"
#include "scenario/scenario_parser.h"
#include "sim/scenario_runner.h"

namespace {

constexpr int kUsageExit = 2;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("Runs a scenario in the ns-3 world and prints its summary table.", "tether-sim");
  tether::cli::set_synopsis(
      app, {"tether-sim SCENARIO.yaml [--seed N] [--out DIR] [--set path.to.key=value ...] [--pcap]"});
  tether::cli::ScenarioRunArguments arguments;
  tether::cli::add_scenario_run_options(app, arguments);
  if (auto exit_code = tether::cli::parse_or_exit(app, argc, argv, kUsageExit)) return *exit_code;

  tether::sim::RunOptions options;
  options.out_dir = arguments.out_dir;
  options.pcap = arguments.pcap;
  auto parsed = tether::scenario::load_scenario(arguments.scenario_file, arguments.overrides);
  if (!parsed.ok()) {
    std::fprintf(stderr, "tether-sim: invalid scenario\n%s", parsed.error_text().c_str());
    return kUsageExit;
  }
  // The results' directory, checked before the run rather than at its end.
  const std::filesystem::path out_dir = options.out_dir.empty() ? parsed.scenario.outputs.dir : options.out_dir;
  if (auto writable = tether::scenario::check_results_dir(out_dir); !writable.ok()) {
    const std::string where = !options.out_dir.empty() ? "--out " + options.out_dir.string()
                                                        : parsed.scenario.outputs.dir_origin + " " + out_dir.string();
    std::fprintf(stderr, "tether-sim: %s: %s\n", where.c_str(), writable.error().message.c_str());
    return kUsageExit;
  }
  auto run = tether::sim::run_scenario(parsed.scenario, options);
  if (!run.ok()) {
    std::fprintf(stderr, "tether-sim: %s\n", run.error().to_string().c_str());
    return 1;
  }
  std::fputs(run->summary.c_str(), stdout);
  std::printf("results    %s/{results.json,messages.csv,events.csv}\n", run->out_dir.string().c_str());
  return 0;
}
