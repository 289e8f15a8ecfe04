#pragma once
// The whole path from capture files to one timeline: each file read
// (read_capture.h) and decoded, its UDP datagrams offered to the WireGuard
// dissector first, its TCP segments to the TCP dissector (and through it
// the SMTP dissector), its ICMP errors to the ICMP dissector; with a key
// log, each decrypted WireGuard transport message's inner IP packet is
// decoded in turn (a raw-IP Decoder) and dissected by a second set of
// dissectors, its events marked with the layer "wg".
//
// Each input has its own dissectors: a session or a connection seen on two
// links (two pcaps of one simulation run) is two, as tshark would see it in
// two files. The events of all inputs come out in time order, those of one
// packet in the order they were found.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "pcap/ip_reassembly.h"
#include "pcap/key_log_reader.h"
#include "pcap/timeline_event.h"
#include "pcap/wireguard_dissector.h"

namespace tether::pcap {

// Where the events go when TimelineOptions::sink is set: as they are found,
// some hundreds at a time (and the rest at the end of each input), in the
// order they were found, instead of into timeline.events, which then stays
// empty: what writes a large capture's table without holding every
// TimelineEvent (timeline_format.h's TimelineTable). It may move from the
// events or swap the vector for another; whatever it leaves in the vector
// is taken as events it is done with, whose memory new events reuse.
using TimelineEventSink = std::function<void(std::vector<TimelineEvent>& found)>;

struct TimelineOptions {
  TimelineEventSink sink;                          // null: events kept in Timeline::events
  WireGuardDissectorOptions wireguard;            // --wg-port, heuristic
  std::shared_ptr<const WireGuardKeyLog> keys;    // --keylog; null: nothing is decrypted
  ReassemblyLimits reassembly;
  // The day of a text trace's time-of-day lines (pcap/text_trace.h).
  CivilDate text_date;
};

struct TimelineCounts {
  std::uint64_t records = 0;        // capture records read
  std::uint64_t datagrams = 0;      // UDP, on the wire
  std::uint64_t segments = 0;       // TCP, on the wire
  std::uint64_t icmp = 0;
  std::uint64_t wg_messages = 0;
  std::uint64_t wg_decrypted = 0;   // transport messages opened (keepalives included)
  std::uint64_t wg_decryption_failed = 0;
  std::uint64_t inner_packets = 0;  // decrypted IP packets decoded in turn
};

struct Timeline {
  std::vector<TimelineEvent> events;  // time order
  // Every problem of every stage, each naming its file and packet (and the
  // key log's FILE:LINE), in the order found; bounded as DissectorOutput's.
  std::vector<std::string> problems;
  std::size_t problems_dropped = 0;
  TimelineCounts counts;
  std::vector<int> link_types;        // per input
};

// Dissects one input into `timeline` (events appended, unsorted), `capture`
// being its index among the inputs. Fails only when the file cannot be read
// at all; everything read before a cut record is kept.
Result<void> add_capture(Timeline& timeline, const std::string& path, std::size_t capture,
                         const TimelineOptions& options);

// Adds one input's problems to the timeline's, within its bound.
void append_problems(Timeline& timeline, std::vector<std::string>&& problems, std::size_t dropped);

// Puts the events in time order (stable: one packet's events keep theirs).
void sort_timeline(Timeline& timeline);

// The timeline of `paths`, in time order: pcap and pcapng files, and
// tcpdump text traces (a file that is text, not a capture: text_trace.h).
// Fails on the first input that cannot be read at all.
Result<Timeline> build_timeline(const std::vector<std::string>& paths, const TimelineOptions& options);

}  // namespace tether::pcap
