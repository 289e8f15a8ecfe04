#pragma once
// What the scenario's metrics (scenario/metrics.h) need from the ns-3 world
// beyond the apps' events: whether the tunnel is usable right now, the NAT
// model's events in the metrics' terms, and the relays' counters at the end.

#include <vector>

#include "core/time.h"
#include "scenario/metrics.h"
#include "sim/world/nat.h"

namespace tether::sim {

class ScenarioWorld;

// The relay's tunnel has a valid session with its peer AND the home is
// reachable at the endpoint the relay would send to: over IPv4 the home's
// NAT still holds a live UDP mapping for it; over IPv6 (no NAT) the address
// lies in the home's current prefix.
bool tunnel_available(ScenarioWorld& world, Time now);

scenario::NatObservation observe(const NatEvent& event);

// Every mail host's relay counters, those of relays destroyed by a stop
// included, in scenario host order.
std::vector<scenario::RelayTotals> relay_totals(ScenarioWorld& world);

}  // namespace tether::sim
