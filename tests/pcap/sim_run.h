#pragma once
// A tether-sim run with captures, made by a test (tests/pcap's tests that
// depend on tether-sim): the run's directory, its scenario epoch (the wall
// time its pcaps count from) and its events.csv rows.

#include <string>
#include <vector>

#include "core/time.h"
#include "support/run_process.h"

namespace tether::pcap::testing {

struct SimEvent {
  std::string time_s;  // as written, "%.3f" of simulated seconds
  double at_s = 0;
  std::string source, kind, detail;
};

// Runs `scenario` (under scenarios/) with --pcap into `out`, with the
// --set overrides given; BOOST_REQUIREs its success.
void run_sim(const std::string& scenario, const std::filesystem::path& out,
             const std::vector<std::string>& sets);

// results.json's epoch ("2026-01-01T00:00:00.000Z").
WallTime result_epoch(const std::filesystem::path& dir);

// events.csv, RFC 4180 quoting undone.
std::vector<SimEvent> read_sim_events(const std::filesystem::path& dir);

}  // namespace tether::pcap::testing
