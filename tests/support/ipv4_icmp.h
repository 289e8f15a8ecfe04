#pragma once
// Builds and answers IPv4 ICMP echo packets, for tests that push raw IP
// packets through a tunnel device and need a kernel-compatible packet.

#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/endpoint.h"

namespace tether::testing {

struct IcmpEcho {
  IpAddress source;
  IpAddress destination;
  bool is_request = true;  // type 8; false: reply, type 0
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
  Bytes payload;
};

// RFC 1071 Internet checksum.
std::uint16_t internet_checksum(ByteView data);

// A complete IPv4 packet (20-byte header, TTL 64) with valid checksums.
Bytes build_icmp_echo(const IcmpEcho& echo);

// Parses an IPv4 ICMP echo request or reply; nullopt for anything else or
// for a packet whose checksums are wrong.
std::optional<IcmpEcho> parse_icmp_echo(ByteView packet);

// The reply a host would send to `request`.
Bytes answer_icmp_echo(const IcmpEcho& request);

}  // namespace tether::testing
