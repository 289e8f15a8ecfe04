#pragma once
// tether-lab --pcap: every link end captured inside its namespace with
// pcap/live_capture.h, into OUT/pcap/LINK-N.pcap (N: 0 the host's or the
// gateway's end, 1 the other, the simulation's names: sim/scenario_world_topology.cc),
// each on a thread that setns(2)es into the end's namespace to open its
// capture. Timestamps are put on the scenario's clock (epoch + time since
// the run's start), as the simulation stamps its captures, so that
// `tether-pcap timeline OUT` reads a lab run as it reads a simulated one.
// Each host's tunnel key log is copied beside them as NAME-wg-keys.log.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "lab/world/lab_world.h"

namespace tether::lab {

class LinkCaptures {
 public:
  // Opens every capture (returns once each listens); `zero` is the run's start.
  static Result<std::unique_ptr<LinkCaptures>> start(const LabWorld& world, const std::filesystem::path& pcap_dir,
                                                     std::chrono::system_clock::time_point zero);
  ~LinkCaptures();  // stop()
  LinkCaptures(const LinkCaptures&) = delete;
  LinkCaptures& operator=(const LinkCaptures&) = delete;
  // Stops and closes every capture; returns the problems (one line each).
  std::vector<std::string> stop();

 private:
  struct End;
  LinkCaptures() = default;
  std::vector<std::unique_ptr<End>> ends_;
};

}  // namespace tether::lab
