#pragma once
// The two worlds' uplink captures held against each other with the capture
// library's compare (pcap/compare.h, what `tether-pcap compare LAB SIM`
// prints), the lab's run as A and the simulation's as B: the order of the
// tunnel control messages and the interval distances of keepalives,
// initiations and the rest. Both runs write their captures under the same
// names (OUT/lab/pcap, OUT/sim/pcap); the links read are `uplink-0` by
// default, the gateway's end of the home's uplink: the home's tunnel as the
// internet sees it, after the NAT.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "pcap/compare.h"

namespace tether::lab {

inline constexpr const char* kDefaultUplinkLink = "uplink-0";

struct UplinkComparison {
  std::vector<std::string> links;      // the globs read on each side
  std::size_t lab_events = 0, sim_events = 0;
  // Empty when a side had no event at all (nothing to anchor on); then
  // `failures` says so if the other side had control messages.
  std::optional<pcap::Comparison> comparison;
  std::vector<std::string> failures;   // the checks outside their bounds
  std::vector<std::string> problems;   // what the capture readers reported
  bool pass() const { return failures.empty(); }
};

// Fails (bad input) when a side has no captures or no link matches.
Result<UplinkComparison> compare_uplinks(const std::filesystem::path& lab_run, const std::filesystem::path& sim_run,
                                         const std::vector<std::string>& links,
                                         const pcap::CompareTolerances& tolerances);

}  // namespace tether::lab
