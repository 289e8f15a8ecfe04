#include "sim/world_metrics.h"

#include "sim/scenario_world.h"

namespace tether::sim {

bool tunnel_available(ScenarioWorld& world, Time now) {
  WorldNode* relay = nullptr;
  for (auto& n : world.nodes())
    if (n->spec->role == scenario::HostRole::relay && n->tunnel) relay = n.get();
  if (!relay || !relay->tunnel || relay->stopped) return false;
  const tunnel::Device* device = relay->tunnel->device();
  if (!device) return false;
  // The device's own peer stats: TunnelEndpoint::status() also derives the
  // interface's public key (an X25519 scalar multiplication), which, once a
  // simulated second, was half of a seed-week run's CPU time.
  const std::vector<tunnel::PeerStats> stats = device->peer_stats(relay->host->now());
  if (stats.empty()) return false;
  const auto& peer = stats.front();
  if (!peer.has_session || !peer.endpoint) return false;
  if (peer.endpoint->address().is_v6()) {
    IspPrefix* prefix = world.isp_prefix();
    return !prefix || prefix->prefix().contains(peer.endpoint->address());
  }
  if (Nat* nat = world.nat()) {
    const NatMapping* mapping = nat->table().find_external(NatProtocol::udp, *peer.endpoint);
    if (!mapping || mapping->expires_at(nat->config().timeouts) <= now) return false;
  }
  return true;
}

scenario::NatObservation observe(const NatEvent& e) {
  using Kind = scenario::NatObservation::Kind;
  scenario::NatObservation o;
  switch (e.kind) {
    case NatEventKind::mapping_created: o.kind = Kind::mapping_created; break;
    case NatEventKind::mapping_expired: o.kind = Kind::mapping_expired; break;
    case NatEventKind::mapping_flushed: o.kind = Kind::mapping_flushed; break;
    case NatEventKind::packet_dropped: o.kind = Kind::packet_dropped; break;
  }
  o.at = e.at;
  o.protocol = to_string(e.protocol);
  o.internal = e.internal;
  o.external = e.external;
  o.cause = to_string(e.cause);
  return o;
}

std::vector<scenario::RelayTotals> relay_totals(ScenarioWorld& world) {
  std::vector<scenario::RelayTotals> out;
  for (auto& n : world.nodes()) {
    if (n->spec->smtpd.empty()) continue;
    scenario::RelayTotals t;
    t.host = n->spec->name;
    t.role = to_string(n->spec->role);
    t.profile = smtp::to_string(n->relay ? n->relay->config().knobs.profile.value_or(smtp::RelayProfile::tether)
                                         : n->relay_profile);
    node::MailRelayCounters c = n->relay_before_stop;
    if (n->relay) {
      const auto& now = n->relay->counters();
      c.messages_accepted += now.messages_accepted;
      c.attempts += now.attempts;
      c.delivered += now.delivered;
      c.temporary_failures += now.temporary_failures;
      c.permanent_failures += now.permanent_failures;
    }
    t.accepted = c.messages_accepted;
    t.attempts = c.attempts;
    t.delivered = c.delivered;
    t.temporary_failures = c.temporary_failures;
    t.permanent_failures = c.permanent_failures;
    out.push_back(t);
  }
  return out;
}

}  // namespace tether::sim
