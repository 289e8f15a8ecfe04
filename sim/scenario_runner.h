#pragma once
// One run of a scenario: a fresh ns-3 simulation seeded from the scenario,
// the world built (scenario_world.h), the workload and the timed events
// scheduled, the simulation run for the scenario's duration, and the
// results written (results_writer.h). Node storage ends up below
// OUT/nodes/<host>, emptied first (while the run goes it may be on tmpfs:
// node_storage.h); pcaps to OUT/pcap when asked for.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "scenario/metrics.h"
#include "scenario/scenario.h"

namespace tether::sim {

class ScenarioWorld;

// A look into the running world at one moment of simulated time (tests: a
// host's `show queue` while a letter is in flight). It must not change the
// world, or the run is no longer the scenario's.
struct RunProbe {
  Duration at;
  std::function<void(ScenarioWorld& world)> look;
};

struct RunOptions {
  std::filesystem::path out_dir;  // empty: the scenario's outputs.dir
  bool pcap = false;              // or the scenario's outputs.pcap
  bool write = true;              // results.json, messages.csv, events.csv
  std::vector<RunProbe> probes;
};

struct RunResult {
  std::unique_ptr<scenario::Metrics> metrics;
  std::filesystem::path out_dir;
  std::string summary;
  // For bench/sim_throughput: ns-3 events run, and packets put on the wire
  // (transmissions on point-to-point links, every hop counted).
  std::uint64_t events = 0;
  std::uint64_t link_packets = 0;
};

Result<RunResult> run_scenario(const scenario::Scenario& scenario, const RunOptions& options);

}  // namespace tether::sim
