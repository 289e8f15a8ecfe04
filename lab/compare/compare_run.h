#pragma once
// One scenario run in both worlds and compared (tether-compare, issue 12's
// "Sim against real"): tether-lab with --pcap into OUT/lab, then, with the
// same seed and --set, tether-sim with captures into OUT/sim, each of its
// hosts on the profile of the implementation the lab ran for it (lab.json,
// lab_implementations.h); then their results.json figures and uplink
// captures side by side against the bounds (compare_bounds.h), the table on
// stdout and OUT/compare.json.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "lab/compare/compare_bounds.h"

namespace tether::lab {

struct CompareRunOptions {
  std::filesystem::path scenario_file;
  std::vector<std::string> overrides;  // "seed=N", "k=v": --seed and --set in command-line order
  std::filesystem::path out_dir;       // empty: the scenario's outputs.dir
  CompareBounds bounds;
  std::vector<std::string> uplink_links;  // empty: uplink-0
  std::filesystem::path tether_lab = "tether-lab";
  std::filesystem::path tether_sim = "tether-sim";
  // Run the simulation even when the lab's run failed (its summary is
  // printed; the status stays 2).
  bool keep_going = false;
  // Compare the runs already in OUT/lab and OUT/sim (other tolerances, or
  // other links) without running either world again; needs no root.
  bool reuse_runs = false;
  std::function<void(const std::string&)> progress;  // one line per step, for stderr
};

enum class CompareOutcome { within = 0, outside = 1 };

struct CompareRunResult {
  CompareOutcome outcome = CompareOutcome::within;
  std::string report;  // the table (compare_report.h)
  std::filesystem::path out_dir;
};

// Errors: invalid_argument for bad input (an invalid scenario, one the lab
// refuses: the scenario library's or tether-lab's message; nothing of the
// run is left in OUT), any other code for a run that failed (its output
// kept in OUT/lab.log or OUT/sim.log and quoted). A SIGINT or SIGTERM is
// passed on to the running child, and then ends this process (world_process.h).
Result<CompareRunResult> run_compare(const CompareRunOptions& options);

}  // namespace tether::lab
