// The nodes' events on LabNodes (node_event_handler.h).

#include "lab/runner/node_event_handler.h"

#include <algorithm>

namespace tether::lab {

namespace {

bool is_host(const LabNodes& nodes, const std::string& name) {
  const auto hosts = nodes.hosts();
  return std::find(hosts.begin(), hosts.end(), name) != hosts.end();
}

}  // namespace

void LabNodeEvents::apply(const scenario::EventSpec& e, NetworkEvents& network) {
  using scenario::EventAction;
  if (!is_host(nodes_, e.target)) {
    note("event-ignored", e.target, std::string(scenario::to_string(e.action)) + ": no such host");
    return;
  }
  switch (e.action) {
    case EventAction::stop_node: {
      if (!nodes_.running(e.target)) return;
      auto r = nodes_.stop(e.target);
      network.set_link_down(e.target, true);
      note("node-stopped", e.target, r.ok() ? "" : r.error().to_string());
      return;
    }
    case EventAction::start_node: {
      if (nodes_.running(e.target)) return;
      network.set_link_down(e.target, false);
      auto r = nodes_.start(e.target);
      if (r.ok()) note("node-started", e.target);
      else note("start-failed", e.target, r.error().to_string());
      return;
    }
    case EventAction::pause_smtp:
    case EventAction::resume_smtp: {
      auto r = e.action == EventAction::pause_smtp ? nodes_.pause_smtp(e.target) : nodes_.resume_smtp(e.target);
      note(scenario::to_string(e.action), e.target, r.ok() ? "" : r.error().to_string());
      return;
    }
    case EventAction::change_config: {
      auto r = nodes_.change_config(e.target, e.tunnel, e.smtpd);
      if (!r.ok()) note("change-config-failed", e.target, r.error().to_string());
      return;
    }
    default:
      note("event-ignored", e.target, std::string(scenario::to_string(e.action)) + ": not a node event");
      return;
  }
}

}  // namespace tether::lab
