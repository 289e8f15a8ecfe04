// lab_world_holder SCENARIO [--set K=V ...]: builds the lab world of a
// scenario and holds it until a signal ends the process, as tether-lab
// will. The clean-up tests (world_cleanup_test.cc) kill it midway: with
// SIGINT/SIGTERM it must remove the world itself (signal_cleanup.h); after
// SIGKILL remove_leftovers(prefix) must. Prints "prefix P" before it makes
// anything and "built" once the world stands.

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "lab/world/lab_world.h"
#include "lab/world/signal_cleanup.h"
#include "scenario/scenario_parser.h"

int main(int argc, char** argv) {
  using namespace tether;
  lab::SignalCleanup::install();
  if (argc < 2) {
    std::fprintf(stderr, "usage: lab_world_holder SCENARIO [--set K=V ...]\n");
    return 2;
  }
  std::vector<std::string> overrides;
  for (int i = 2; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--set") overrides.push_back(argv[i + 1]);
  const scenario::ScenarioParse parsed = scenario::load_scenario(argv[1], overrides);
  if (!parsed.ok()) {
    std::fprintf(stderr, "%s\n", parsed.error_text().c_str());
    return 2;
  }
  lab::LabWorldOptions options;
  options.prefix = lab::new_run_prefix();
  std::printf("prefix %s\n", options.prefix.c_str());
  std::fflush(stdout);
  auto world = lab::LabWorld::build(parsed.scenario, options);
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.error().to_string().c_str());
    return 1;
  }
  std::printf("built\n");
  std::fflush(stdout);
  for (;;) pause();
}
