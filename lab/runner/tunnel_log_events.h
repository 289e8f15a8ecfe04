#pragma once
// tetherd's logged tunnel events (LabNodes::tunnel_events: the lines
// tunnel::Event::to_string() wrote, without its time) back into
// tunnel::Events on the run's time, so scenario::Metrics counts handshakes
// and keepalives and writes the simulation's rows from them. The log's
// stamp is tetherd's CLOCK_MONOTONIC (PosixHost::now()), the clock of the
// run's start instant. The peer is logged abbreviated and is not restored.

#include <optional>

#include "core/time.h"
#include "lab/nodes/lab_nodes.h"
#include "tunnel/output.h"

namespace tether::lab {

// nullopt: a line that is not one of the events Metrics reads.
std::optional<tunnel::Event> parse_tunnel_log_event(const TunnelLogEvent& line, Time run_start);

}  // namespace tether::lab
