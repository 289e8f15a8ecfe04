// tetherd's tunnel log lines back into tunnel::Events (tunnel_log_events.h).

#include "lab/runner/tunnel_log_events.h"

#include <sstream>
#include <string>

namespace tether::lab {

namespace {

std::optional<Endpoint> endpoint_after(const std::string& text, const std::string& marker) {
  const auto at = text.find(marker);
  if (at == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(at + marker.size()));
  std::string word;
  rest >> word;
  auto parsed = Endpoint::parse(word);
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

}  // namespace

std::optional<tunnel::Event> parse_tunnel_log_event(const TunnelLogEvent& line, Time run_start) {
  using tunnel::EventKind;
  std::istringstream words(line.text);
  std::string kind_word;
  words >> kind_word;
  tunnel::Event e;
  bool known = false;
  for (EventKind k : {EventKind::handshake_sent, EventKind::handshake_completed, EventKind::handshake_given_up,
                      EventKind::endpoint_changed, EventKind::keepalive_sent, EventKind::session_expired}) {
    if (kind_word == tunnel::to_string(k)) {
      e.kind = k;
      known = true;
    }
  }
  if (!known) return std::nullopt;
  e.time = Time::zero() + (line.stamp() - run_start);
  if (e.kind == EventKind::endpoint_changed) {
    // "... OLD -> NEW" (either may be "(none)").
    const auto arrow = line.text.find(" -> ");
    if (arrow != std::string::npos) {
      const auto space = line.text.rfind(' ', arrow - 1);
      if (auto old = Endpoint::parse(line.text.substr(space + 1, arrow - space - 1)); old.ok()) e.old_endpoint = *old;
      e.endpoint = endpoint_after(line.text, " -> ");
    }
  } else {
    e.endpoint = endpoint_after(line.text, " to ");
  }
  return e;
}

}  // namespace tether::lab
