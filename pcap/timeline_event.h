#pragma once
// One protocol event seen in a capture (or a text trace): the row of
// `tether-pcap timeline`. Its first columns are those of the simulation's
// events.csv (time, source, kind, detail) so a capture and a sim run line
// up; the rest are the kind's own fields, empty where they do not apply.

#include <cstdint>
#include <optional>
#include <string>

#include "core/time.h"

namespace tether::pcap {

struct TimelineEvent {
  WallTime at;
  std::size_t capture = 0;       // index of the input
  std::string link;              // the capture's name (file, or LINK-N.pcap of a sim run)
  std::uint64_t packet_number = 0;
  std::string source;            // ADDRESS:PORT (or ADDRESS for ICMP)
  std::string destination;
  std::string layer;             // "" on the wire; "wg" inside a decrypted WireGuard tunnel
  std::string protocol;          // "wg", "smtp", "tcp", "icmp"
  std::string kind;              // e.g. "initiation", "keepalive", "command", "reply", "syn", "unreachable"
  std::string detail;            // free text, as events.csv's detail

  // WireGuard
  std::optional<int> wg_type;                    // 1..4
  std::optional<std::uint32_t> wg_sender, wg_receiver;
  std::optional<std::uint64_t> wg_counter;
  std::optional<bool> wg_keepalive;
  std::optional<std::uint64_t> wg_session;       // the handshake it belongs to, from 0 (tshark's wg.stream)
  // SMTP
  std::string smtp_verb;                         // MAIL, RCPT, STARTTLS, ...
  std::optional<int> smtp_code;                  // 220, 250, 421, ...
  // TCP
  std::string tcp_flags;                         // "S", "SA", "F", "R", ... as tcpdump prints them
};

}  // namespace tether::pcap
