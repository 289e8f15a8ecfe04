// The tunnel's availability from a lab run's rows (availability_samples.h).

#include "lab/runner/availability_samples.h"

#include <set>
#include <string>

namespace tether::lab {

namespace {

constexpr Duration kRejectAfterTime = Duration::seconds(180);  // WireGuard's REJECT_AFTER_TIME

std::string after_arrow(const std::string& detail) {
  const auto arrow = detail.find(" -> ");
  return arrow == std::string::npos ? std::string() : detail.substr(arrow + 4);
}

// "udp 198.51.100.102:37563 address-change" -> the endpoint.
std::string second_word(const std::string& detail) {
  const auto first = detail.find(' ');
  if (first == std::string::npos) return {};
  const auto second = detail.find(' ', first + 1);
  return detail.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
}

}  // namespace

void sample_tunnel_availability(scenario::Metrics& metrics, Duration end) {
  const scenario::HostSpec* relay = metrics.scenario().first_with_role(scenario::HostRole::relay);
  if (!relay) return;
  // A home sits behind the gateway's NAT (lab/world/nat_plan.h).
  const bool nat = metrics.scenario().first_with_role(scenario::HostRole::home) != nullptr;
  const auto rows = metrics.timeline();  // a copy: sampling adds nothing to it, but keep it stable
  std::set<std::string> mapped;          // external endpoints the NAT holds
  std::string endpoint;                  // where the relay sends
  Time session_at = Time::never();
  std::size_t next = 0;
  for (Duration t = Duration::seconds(1); t <= end; t += Duration::seconds(1)) {
    const Time now = Time::zero() + t;
    for (; next < rows.size() && rows[next].at <= now; ++next) {
      const auto& r = rows[next];
      if (r.source == "gateway" && r.kind == "nat-mapping-created") mapped.insert(after_arrow(r.detail));
      else if (r.source == "gateway" && r.kind == "nat-mapping-expired") mapped.erase(after_arrow(r.detail));
      else if (r.source == "gateway" && r.kind == "nat-mapping-flushed") mapped.erase(second_word(r.detail));
      else if (r.source == relay->name && r.kind == "endpoint-changed") endpoint = after_arrow(r.detail);
      else if (r.source == relay->name && r.kind == "handshake-completed") session_at = r.at;
      else if (r.source == relay->name && r.kind == "session_expired") session_at = Time::never();
      else if (r.source == "world" && r.kind == "node-stopped" && r.detail == relay->name) {
        // SIGKILLed: its keys and its peer's endpoint die with the process,
        // as the simulation's stop-node destroys the TunnelEndpoint. tetherd
        // logs nothing then, so the row is all that says so.
        session_at = Time::never();
        endpoint.clear();
      }
    }
    const bool session = session_at != Time::never() && now - session_at < kRejectAfterTime;
    metrics.sample_availability(session && (!nat || mapped.count(endpoint) > 0));
  }
}

}  // namespace tether::lab
