#pragma once
// One scenario run in the lab, end to end (issue 12): the LabWorld built
// with every link shaped (lab/shaping, one ShapedLink per direction),
// every host's tetherd started (lab/nodes), then, from one steady-clock
// start instant, the gateway's conntrack events, the scenario's events
// (lab/events, the nodes' through LabNodeEvents), the home's maildir
// watched and the workload submitted from the sender's submission
// namespace (lab/workload), all into one scenario::Metrics behind one
// mutex. After the scenario's duration everything stops, the tunnel events
// from tetherd's logs go in as the simulation's rows, and the results are
// written with scenario/results_writer (results.json, messages.csv,
// events.csv: the simulation's files) plus lab.json (how each link was
// shaped and what ran each host; the writer has no extra section), and with
// --pcap every link end's capture (link_captures.h).
//
// The world is removed on every way out (the LabWorld's destructor, and
// SignalCleanup for SIGINT/SIGTERM, which main installs); `keep` leaves it.

#include <filesystem>
#include <functional>
#include <string>

#include "core/error.h"
#include "core/time.h"
#include "scenario/scenario.h"

namespace tether::lab {

struct LabRunOptions {
  std::filesystem::path out_dir;             // empty: the scenario's outputs.dir
  bool pcap = false;                         // every link end to OUT/pcap/LINK-N.pcap (link_captures.h)
  bool keep = false;                         // leave the world standing
  Duration max_duration = Duration::minutes(15);
  std::filesystem::path tetherd = "tetherd";
  std::filesystem::path tetherctl = "tetherctl";
  // Called once the world stands, with its prefix (tether-lab prints it:
  // what `tether-lab --remove PREFIX` takes after a crash).
  std::function<void(const std::string& prefix)> on_world_built;
};

struct LabRunResult {
  std::filesystem::path out_dir;
  std::string summary;  // scenario/results_writer's format_summary
  std::string prefix;   // the world's namespaces' prefix
  bool kept = false;
};

// Refuses (before making anything) a scenario longer than max_duration,
// naming `duration`, and one the world cannot realise (LabWorld::build).
Result<LabRunResult> run_lab(const scenario::Scenario& scenario, const LabRunOptions& options);

}  // namespace tether::lab
