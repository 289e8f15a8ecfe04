#pragma once
// The timeline as a table: CSV (a header line, one row per event) or JSON
// (an array of objects with the same keys, null where a field does not
// apply). The first four columns are those of the simulation's events.csv
// (time_s, source, kind, detail) so that the two line up; time_s here is
// seconds since the Unix epoch with nanoseconds, which for a simulation's
// pcaps is the scenario's epoch plus the simulated time
// (sim/world/wall_clock_pcap.h).
//
// Columns: time_s, source, kind, detail, capture, link, packet,
// destination, layer, protocol, wg_type, wg_sender, wg_receiver,
// wg_counter, wg_keepalive, wg_session, smtp_verb, smtp_code, tcp_flags.
// WireGuard indexes are written as 0x%08x, as tcpdump and the key log's
// tools show them.

#include <cstdio>
#include <string>
#include <vector>

#include "pcap/timeline_event.h"

namespace tether::pcap {

enum class TimelineFormat { csv, json };

extern const std::vector<std::string> kTimelineColumns;

// "1767225600.033000000"
std::string format_epoch_seconds(WallTime at);

// Writes the events to `out`, buffered. False when a write failed.
bool write_timeline(std::FILE* out, const std::vector<TimelineEvent>& events, TimelineFormat format);
std::string timeline_text(const std::vector<TimelineEvent>& events, TimelineFormat format);

}  // namespace tether::pcap
