#pragma once
// The tunnel's availability in a lab run, sampled once a second as the
// simulation samples it (sim/world_metrics.h: the relay's tunnel has a
// valid session with its peer AND the home's NAT still holds a live UDP
// mapping for the endpoint the relay would send to), read back from the
// run's rows after it ends: the relay's handshake-completed,
// session_expired and endpoint-changed rows (from tetherd's log), its
// node-stopped row (a killed tetherd's keys and endpoint are gone) and the
// gateway's nat-mapping-created/expired/flushed rows (from conntrack). A
// session counts as valid for REJECT_AFTER_TIME (180 s) after its last
// handshake, as the relay's keys are.

#include "core/time.h"
#include "scenario/metrics.h"

namespace tether::lab {

// Calls metrics.sample_availability once per whole second in (0, end].
void sample_tunnel_availability(scenario::Metrics& metrics, Duration end);

}  // namespace tether::lab
