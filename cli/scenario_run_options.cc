#include "cli/scenario_run_options.h"

#include <CLI/CLI.hpp>

namespace tether::cli {

void add_scenario_run_options(CLI::App& app, ScenarioRunArguments& arguments) {
  app.add_option("SCENARIO.yaml", arguments.scenario_file,
                 "the scenario to run (schema: scenarios/README.md)")
      ->required()
      ->type_name("");
  // Each override is applied when it is read, so --seed and --set keep
  // their order on the command line.
  app.add_option_function<std::string>(
         "--seed", [&arguments](const std::string& seed) { arguments.overrides.push_back("seed=" + seed); },
         "the run's seed (same as --set seed=N)")
      ->type_name("N")
      ->trigger_on_parse()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option_function<std::string>(
         "--set", [&arguments](const std::string& override) { arguments.overrides.push_back(override); },
         "override one key of the scenario file (repeatable)")
      ->type_name("path.to.key=value")
      ->trigger_on_parse()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--out", arguments.out_dir, "where the results go (default: the scenario's outputs.dir)")
      ->type_name("DIR");
  app.add_flag("--pcap", arguments.pcap, "capture every link to pcap files beside the results");
}

}  // namespace tether::cli
