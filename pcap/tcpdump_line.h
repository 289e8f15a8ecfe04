#pragma once
// One line of `tcpdump -n` text output read into what it says about the
// packet: its time, addresses and ports, and what tcpdump printed of the
// transport (pcap/text_trace.h turns these into timeline events through the
// same dissectors a capture goes through).
//
// Two layouts are read, each as its own tcpdump prints it:
//  - Linux tcpdump (4.x): "IP 10.0.0.1.40000 > 10.0.0.2.25: Flags [S], seq 1,
//    win 64240, options [...], length 0"; "IP6 ..."; "... UDP, length 32";
//    "ICMP 10.0.0.2 udp port 51820 unreachable, length 36";
//    "ICMP6, destination unreachable, unreachable port, ADDR udp port P".
//    An "IFACE In|Out" prefix (-i any) is skipped.
//  - OpenBSD tcpdump: no "IP" word ("2001:db8::1.6900 > 2001:db8::2.6900:
//    ..."); TCP as "S 1:1(0) win 16384", ". ack 1 win 16384" (print-tcp.c,
//    tcp_print); UDP as "udp 45"; WireGuard decoded by print-wg.c (wg_print):
//    "[wg] initiation from 0x%08x", "[wg] response from 0x%08x to 0x%08x",
//    "[wg] cookie  to 0x%08x", "[wg] keepalive to 0x%08x nonce N",
//    "[wg] data length N to 0x%08x nonce N" (N the bytes after the 32 of
//    header and tag), "[|wg]" where the capture cut it; ICMP as "icmp: ..."
//    and "icmp6: ADDR udp port P unreachable" (print-icmp6.c, icmp6_print).
//
// Times: time of day ("07:41:33.301011", the default; nanoseconds with
// --nano), -tttt ("2026-12-07 07:41:33.301011") or -tt (Unix seconds).
//
// Which lines are packets: a line whose first word (after blanks) is shaped
// like one of those times. Every other line (an article's prose, a shell
// prompt, a caption, -x hex dumps, -v continuation lines) is not, and is
// skipped. A line that begins with a time but cannot be read is a problem.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/endpoint.h"

namespace tether::pcap {

struct TcpdumpTime {
  bool time_of_day = true;  // nanoseconds since midnight; else since the Unix epoch
  std::int64_t ns = 0;
};

// What tcpdump printed after "SOURCE > DESTINATION:".
enum class TcpdumpBody : std::uint8_t {
  other,      // a packet tether makes no event for (echo, DNS, ARP, ...)
  udp,        // a UDP datagram shown with its length only
  wireguard,  // OpenBSD's [wg] decoding
  tcp,
  icmp,       // an ICMP/ICMPv6 error
};

struct TcpdumpWireGuard {
  int type = 0;                  // 1..4
  std::uint32_t sender = 0, receiver = 0;
  std::uint64_t counter = 0;
  std::uint32_t length = 0;      // the whole message's bytes, as on the wire
  bool cut = false;              // "[|wg]": the fields after the type were not captured
};

struct TcpdumpTcp {
  bool syn = false, fin = false, rst = false, psh = false, ack_flag = false;
  std::uint32_t seq = 0;         // the first sequence number printed (relative unless the SYN's, or -S)
  std::uint32_t ack = 0;
  std::uint32_t length = 0;      // payload bytes
};

struct TcpdumpIcmp {
  bool v6 = false;
  std::uint8_t type = 0, code = 0;
  // What it quotes, as tcpdump printed it: the destination of the packet
  // it answers, that packet's protocol ("udp", "tcp", "proto 58") and
  // destination port when printed.
  std::optional<IpAddress> quoted_destination;
  std::string quoted_protocol;
  std::optional<std::uint16_t> quoted_port;
};

struct TcpdumpPacket {
  TcpdumpTime time;
  IpAddress source, destination;
  std::optional<std::uint16_t> source_port, destination_port;
  TcpdumpBody body = TcpdumpBody::other;
  std::uint32_t udp_length = 0;  // body udp: the payload's bytes
  TcpdumpWireGuard wireguard;
  TcpdumpTcp tcp;
  TcpdumpIcmp icmp;
};

struct TcpdumpLine {
  enum class Kind : std::uint8_t { not_a_packet, packet, unreadable } kind = Kind::not_a_packet;
  TcpdumpPacket packet;  // kind packet
  std::string problem;   // kind unreadable: why, e.g. "bad WireGuard index '0xZZ'"
};

TcpdumpLine read_tcpdump_line(std::string_view line);

}  // namespace tether::pcap
