#pragma once
// Just enough of an inner IPv4/IPv6 packet for the tunnel: the version and
// length the device validates and trims to (the sender pads to 16 bytes),
// the addresses for cryptokey routing, and the transport protocol and ports
// for the inner allow-list.
//
// As Linux's receive path: version 4 needs a 20-byte header and a total
// length between 20 and the bytes present; version 6 a 40-byte header and
// 40 + payload length within the bytes present. Anything else is not an IP
// packet the device passes on, in either direction.
//
// The transport header is located only where that is unambiguous: after
// the IPv4 options, after IPv6 extension headers (hop-by-hop, routing,
// destination options, fragment), and only in a first fragment.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "tunnel/outcome.h"

namespace tether::tunnel {

namespace ip_protocol {
constexpr std::uint8_t icmp = 1;
constexpr std::uint8_t tcp = 6;
constexpr std::uint8_t udp = 17;
constexpr std::uint8_t icmpv6 = 58;
}  // namespace ip_protocol

struct InnerPacket {
  int version = 4;
  std::size_t length = 0;  // from the header: what the packet is once padding is trimmed
  IpAddress source;
  IpAddress destination;
  // The transport protocol, when the header chain could be followed.
  std::optional<std::uint8_t> protocol;
  // A fragment other than the first: no transport header in this packet.
  bool later_fragment = false;
  // Where the transport header starts, when it is in this packet.
  std::optional<std::size_t> transport_offset;
};

enum class InnerPacketError : std::uint8_t {
  empty,
  bad_version,      // neither 4 nor 6
  short_header,     // fewer bytes than the fixed header
  bad_length,       // header length field inconsistent with the bytes present
};
const char* to_string(InnerPacketError error);
std::ostream& operator<<(std::ostream& os, InnerPacketError error);

Outcome<InnerPacket, InnerPacketError> parse_inner_packet(ByteView packet);

// TCP/UDP ports and TCP flags of a packet whose transport header is present.
struct TransportPorts {
  std::uint16_t source = 0;
  std::uint16_t destination = 0;
  std::uint8_t tcp_flags = 0;  // 0 for UDP
};
std::optional<TransportPorts> transport_ports(const InnerPacket& parsed, ByteView packet);

namespace tcp_flag {
constexpr std::uint8_t syn = 0x02;
constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag

}  // namespace tether::tunnel
