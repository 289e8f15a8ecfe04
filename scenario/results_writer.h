#pragma once
// A run's results on disk and on stdout: results.json (the scenario's
// parameters and every measure), messages.csv (one row per message),
// events.csv (the timeline) and the summary table. Deterministic: times are
// simulated times printed with fixed precision, rows are in the order things
// happened or in message order, and nothing depends on addresses in memory
// or the wall clock, so the same scenario and seed give the same bytes.

#include <filesystem>
#include <string>

#include "core/error.h"
#include "scenario/metrics.h"

namespace tether::scenario {

// The files write_results writes in `dir`.
inline constexpr const char* kResultFiles[] = {"results.json", "messages.csv", "events.csv"};

Result<void> write_results(const Metrics& metrics, const std::filesystem::path& dir);
// Before a run: `dir` exists or can be made, a file can be made in it, and
// each result file there is a file this process may write; so a run that
// could not keep its results fails before it starts, not hours after.
// Changes nothing in `dir` but creating it.
Result<void> check_results_dir(const std::filesystem::path& dir);
std::string format_summary(const Metrics& metrics);
// "12.345" (seconds, three decimals).
std::string format_seconds(Duration d);

}  // namespace tether::scenario
