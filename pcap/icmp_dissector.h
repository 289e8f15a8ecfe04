#pragma once
// ICMP and ICMPv6 errors in a capture, each quoting what it answers: the
// quoted packet's protocol and ports, read from the IP header and the 8
// bytes after it that RFC 792 (and RFC 4443 2.4, as much as fits) puts in
// every error.
//
// Events (protocol "icmp", source and destination the ICMP packet's
// addresses):
//   unreachable        v4 type 3, v6 type 1; the code named (net, host,
//                      protocol, port, frag-needed, admin, no-route, ...)
//   time-exceeded      v4 type 11, v6 type 3
//   parameter-problem  v4 type 12, v6 type 4
//   packet-too-big     v6 type 2 (IcmpMessage does not carry the MTU)
//   source-quench, redirect  v4 types 4 and 5
// The detail: "port: udp 10.0.0.2:51820 -> 203.0.113.10:51820". Echo and
// the other informational types make no event. A quote too short to read is
// a problem naming the packet, and the event keeps what could be read.

#include <string>

#include "pcap/dissector_output.h"
#include "pcap/packet.h"

namespace tether::pcap {

// "port", "host", "admin", ... for unreachable codes; "code N" otherwise.
std::string unreachable_code_name(bool v6, std::uint8_t code);

// "udp", "tcp", "icmp", "icmp6", else "proto N": how a quoted packet's
// protocol is named in the detail.
std::string ip_protocol_text(std::uint8_t protocol);

// The event kind of an ICMP (v6: ICMPv6) type and code, and the code's words
// for the detail ("port", "ttl", "code 2"); false for the informational
// types (echo, neighbour discovery, ...), which make no event.
bool icmp_error_kind(bool v6, std::uint8_t type, std::uint8_t code, std::string& kind, std::string& what);

// "udp 10.0.0.2:51820 -> 203.0.113.10:51820", "tcp ...", "icmp 10.0.0.2 -> ...",
// "proto 47 10.0.0.2 -> ..."; empty with `problem` set when unreadable.
std::string describe_quoted_packet(ByteView quoted, bool v6, std::string& problem);

void dissect_icmp(const IcmpMessage& message, DissectorOutput& out);

}  // namespace tether::pcap
