#pragma once
// tether-compare's report: the side-by-side table for people (a plain
// aligned table, each checked row ok or OUTSIDE, then the verdict) and
// compare.json for programs, with the same rows plus what ran each host,
// the simulation's overrides and the capture library's whole uplink
// comparison (pcap/compare_report.h's JSON).

#include <string>
#include <vector>

#include "lab/compare/lab_implementations.h"
#include "lab/compare/side_by_side.h"

namespace tether::lab {

struct CompareHeader {
  std::string scenario;  // the file as given
  std::uint64_t seed = 0;
  std::string lab_dir, sim_dir;
  std::string lab_latency_from, sim_latency_from;
  std::vector<HostImplementation> hosts;
};

std::string compare_text(const CompareHeader& header, const SideBySide& table);
std::string compare_json(const CompareHeader& header, const SideBySide& table, const UplinkComparison& uplink);

}  // namespace tether::lab
