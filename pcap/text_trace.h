#pragma once
// Text traces: `tcpdump -n` output (Linux's, or OpenBSD's with its [wg]
// decoding) read as a timeline input, so that a published trace (an
// article's, a mailing list's) can be held against a capture or a
// simulation. Each line is read by tcpdump_line.h; what it says is handed,
// as a Datagram or Segment, to the same dissectors a capture goes through,
// so the events have the kinds and fields a capture's have:
//  - OpenBSD's "[wg] ..." lines carry the type, indexes and nonce: the
//    message is rebuilt with those fields (and the length tcpdump printed)
//    and given to the WireGuard dissector, which follows the sessions by
//    their indexes as it does in a capture (wireguard_sessions.h);
//  - a plain UDP line ("UDP, length N", Linux tcpdump has no WireGuard
//    printer) on a --wg-port is WireGuard with its kind read from the
//    length alone: 148 initiation, 92 response, 32 keepalive, 64 a cookie
//    reply when it answers an initiation still unanswered between the same
//    endpoints (else data), any other length from 32 up data. Such events
//    have no indexes, counter or session: tcpdump did not print them. UDP on
//    other ports makes no event (Wireshark's heuristic needs the bytes);
//  - TCP lines go to the TCP dissector as segments without payload: SYN,
//    SYN-ACK, FIN, RST and unanswered connection attempts come out as from
//    a capture; data retransmissions and SMTP need the bytes, and are not;
//  - ICMP/ICMPv6 errors make the ICMP dissector's events; the detail quotes
//    what tcpdump printed of the packet answered (its destination, protocol
//    and port; its source address is the error's destination, its source
//    port is not printed).
//
// Each event's link is the file's name as given and its packet number the
// line number (from 1). Times are read as UTC; a time of day takes its date
// from TimelineOptions::text_date (1970-01-01 unless set) and a day is
// added each time it goes backwards by more than 12 hours (midnight passed).
//
// Lines: a line whose first word is shaped like a tcpdump time is a packet
// line; every other line is skipped silently (an article's prose, prompts,
// captions, -x hex dumps). A packet line that cannot be read is a problem
// "FILE:LINE: why", and the reading goes on.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"
#include "pcap/timeline.h"

namespace tether::pcap {

// A text trace's entry in Timeline::link_types: it has no link layer.
constexpr int kTextTraceLinkType = -1;

// True for a file whose first bytes are text rather than a capture: no
// pcap or pcapng magic number, no control bytes other than blanks and line
// ends. False for "-" (the standard input is read as a capture), an empty
// file and a file that cannot be opened: the capture reader reports those.
bool is_text_trace(const std::string& path);

// Reads the text trace at `path` into `timeline` (events appended,
// unsorted; problems and counts added), `capture` being its index among the
// inputs. Fails only when the file cannot be read at all, or when no line
// of it begins with a time (it is no trace: an events.csv, a config).
Result<void> add_text_trace(Timeline& timeline, const std::string& path, std::size_t capture,
                            const TimelineOptions& options);

// The same over text in memory, `name` standing for the file.
Result<void> add_text_trace_text(Timeline& timeline, std::string_view text, const std::string& name, std::size_t capture,
                         const TimelineOptions& options);

}  // namespace tether::pcap
