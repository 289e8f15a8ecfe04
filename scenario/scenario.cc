#include "scenario/scenario.h"

namespace tether::scenario {

const char* to_string(HostRole role) {
  switch (role) {
    case HostRole::sender: return "sender";
    case HostRole::relay: return "relay";
    case HostRole::home: return "home";
    case HostRole::backup: return "backup";
  }
  return "?";
}

const char* to_string(RelayImplementation implementation) {
  return implementation == RelayImplementation::opensmtpd ? "opensmtpd" : "tetherd";
}

const char* to_string(HostOs os) {
  switch (os) {
    case HostOs::linux_family: return "linux";
    case HostOs::openbsd: return "openbsd";
  }
  return "?";
}

const char* to_string(EventAction action) {
  switch (action) {
    case EventAction::link_down: return "link-down";
    case EventAction::link_up: return "link-up";
    case EventAction::pause_smtp: return "pause-smtp";
    case EventAction::resume_smtp: return "resume-smtp";
    case EventAction::stop_node: return "stop-node";
    case EventAction::start_node: return "start-node";
    case EventAction::isp_change: return "isp-change";
    case EventAction::nat_flush: return "nat-flush";
    case EventAction::dns_set: return "dns-set";
    case EventAction::dns_remove: return "dns-remove";
    case EventAction::change_config: return "change-config";
  }
  return "?";
}

const HostSpec* Scenario::host(const std::string& name) const {
  for (const HostSpec& h : hosts)
    if (h.name == name) return &h;
  return nullptr;
}

const HostSpec* Scenario::first_with_role(HostRole role) const {
  for (const HostSpec& h : hosts)
    if (h.role == role) return &h;
  return nullptr;
}

}  // namespace tether::scenario
