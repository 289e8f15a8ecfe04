#pragma once
// The figures tether-compare sets side by side, read back from a run's
// results.json: the file both tether-lab and tether-sim write with
// scenario/results_writer, so one reader serves both worlds.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"

namespace tether::lab {

struct RelayFigures {
  std::string host;
  std::uint64_t attempts = 0;
  std::uint64_t retries = 0;  // temporary failures
};

struct RunFigures {
  std::uint64_t submitted = 0, delivered = 0, undelivered = 0, bounced = 0, via_backup = 0;
  std::uint64_t latency_count = 0;
  double latency_p50 = 0, latency_p95 = 0, latency_max = 0;  // seconds
  // What the latency runs from: messages.csv beside results.json says
  // whether any first attempt was recorded.
  std::string latency_from;
  double availability = 0;                                   // 0..1
  std::uint64_t handshakes = 0, keepalives = 0, nat_expiries = 0;
  std::uint64_t relay_retries = 0;
  std::vector<RelayFigures> relays;  // in results.json's order
};

// Fails naming the file and the field that is missing or of the wrong type.
Result<RunFigures> read_run_figures(const std::filesystem::path& results_json);

}  // namespace tether::lab
