#pragma once
// The nodes' events of a lab run (stop-node, start-node, pause-smtp,
// resume-smtp, change-config) made on LabNodes, with the simulation's rows
// (sim/scenario_world.cc: node-stopped, node-started, start-failed,
// pause-smtp, change-config-failed). A stopped host's link is blackholed
// as the simulation's stop_node downs its link (lab/events/README.md), and
// restored on start-node.

#include <functional>
#include <string>

#include "core/time.h"
#include "lab/events/event_scheduler.h"
#include "lab/events/event_sink.h"
#include "lab/nodes/lab_nodes.h"

namespace tether::lab {

class LabNodeEvents : public NodeEventHandler {
 public:
  // `now` gives the run's time (the scheduler's).
  LabNodeEvents(LabNodes& nodes, EventSink& sink, std::function<Time()> now)
      : nodes_(nodes), sink_(sink), now_(std::move(now)) {}
  void apply(const scenario::EventSpec& event, NetworkEvents& network) override;

 private:
  void note(const std::string& what, const std::string& target, const std::string& detail = "") {
    sink_.world_event(now_(), what, target, detail);
  }
  LabNodes& nodes_;
  EventSink& sink_;
  std::function<Time()> now_;
};

}  // namespace tether::lab
