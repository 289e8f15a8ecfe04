#pragma once
// The options of a command that runs one scenario file: tether-sim today,
// tether-lab next. Both take them with the same spelling and meaning
// (scenarios/README.md documents them).

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace tether::cli {

struct ScenarioRunArguments {
  std::string scenario_file;  // SCENARIO.yaml (required)
  // --seed N and each --set path.to.key=value, in command-line order (a
  // later one wins): --seed N is the override "seed=N".
  std::vector<std::string> overrides;
  std::string out_dir;  // --out DIR; empty: the scenario's outputs.dir
  bool pcap = false;    // --pcap
};

// Adds SCENARIO.yaml, --seed, --out, --set and --pcap to `app`, filling
// `arguments` (which must outlive the parse).
void add_scenario_run_options(CLI::App& app, ScenarioRunArguments& arguments);

}  // namespace tether::cli
