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

Result<void> write_results(const Metrics& metrics, const std::filesystem::path& dir);
std::string format_summary(const Metrics& metrics);
// "12.345" (seconds, three decimals).
std::string format_seconds(Duration d);

}  // namespace tether::scenario
