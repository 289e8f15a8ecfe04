// tether-sim SCENARIO.yaml [--seed N] [--out DIR] [--set path.to.key=value ...] [--pcap]
// Runs a scenario (scenarios/README.md) and prints its summary table; the
// results go to DIR (default: the scenario's outputs.dir). Exit status 2 on
// bad usage or an invalid scenario (every error printed), 1 if the run fails.

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "scenario/scenario_parser.h"
#include "sim/scenario_runner.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: tether-sim SCENARIO.yaml [--seed N] [--out DIR] [--set path.to.key=value ...] [--pcap]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  std::vector<std::string> overrides;
  tether::sim::RunOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--seed") {
      const char* v = value();
      if (!v) return usage();
      overrides.push_back(std::string("seed=") + v);
    } else if (arg == "--out") {
      const char* v = value();
      if (!v) return usage();
      options.out_dir = v;
    } else if (arg == "--set") {
      const char* v = value();
      if (!v) return usage();
      overrides.push_back(v);
    } else if (arg.rfind("--set=", 0) == 0) {
      overrides.push_back(arg.substr(6));
    } else if (arg == "--pcap") {
      options.pcap = true;
    } else if (arg == "-h" || arg == "--help") {
      usage();
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "tether-sim: unknown option %s\n", arg.c_str());
      return usage();
    } else if (file.empty()) {
      file = arg;
    } else {
      return usage();
    }
  }
  if (file.empty()) return usage();

  auto parsed = tether::scenario::load_scenario(file, overrides);
  if (!parsed.ok()) {
    std::fprintf(stderr, "tether-sim: invalid scenario\n%s", parsed.error_text().c_str());
    return 2;
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
