#include "tunnel/inner_packet.h"

#include <ostream>

namespace tether::tunnel {
namespace {

constexpr std::size_t kIpv4HeaderSize = 20;
constexpr std::size_t kIpv6HeaderSize = 40;

// IPv6 extension headers that may precede the transport header and that we
// step over. Others (ESP, AH, unknown) leave the protocol unknown.
constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragment = 44;
constexpr std::uint8_t kDestinationOptions = 60;
// A bound on the chain, so a crafted packet cannot make us walk far.
constexpr int kMaxExtensionHeaders = 8;

void parse_ipv4_transport(ByteView p, InnerPacket& out) {
  const std::size_t header = std::size_t(p[0] & 0x0f) * 4;
  if (header < kIpv4HeaderSize || header > out.length) return;  // protocol stays unknown
  out.protocol = p[9];
  const std::uint16_t fragment = load_be16(p.data() + 6);
  out.later_fragment = (fragment & 0x1fff) != 0;
  if (!out.later_fragment) out.transport_offset = header;
}

void parse_ipv6_transport(ByteView p, InnerPacket& out) {
  std::uint8_t next = p[6];
  std::size_t offset = kIpv6HeaderSize;
  for (int i = 0; i < kMaxExtensionHeaders; ++i) {
    if (next != kHopByHop && next != kRouting && next != kFragment && next != kDestinationOptions) {
      out.protocol = next;
      if (!out.later_fragment) out.transport_offset = offset;
      return;
    }
    if (offset + 8 > out.length) return;
    const std::uint8_t following = p[offset];
    if (next == kFragment) {
      if ((load_be16(p.data() + offset + 2) & 0xfff8) != 0) out.later_fragment = true;
      offset += 8;
    } else {
      offset += (std::size_t(p[offset + 1]) + 1) * 8;
    }
    next = following;
  }
}

}  // namespace

const char* to_string(InnerPacketError error) {
  switch (error) {
    case InnerPacketError::empty: return "empty packet";
    case InnerPacketError::bad_version: return "IP version neither 4 nor 6";
    case InnerPacketError::short_header: return "shorter than its IP header";
    case InnerPacketError::bad_length: return "IP length field inconsistent with the packet";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, InnerPacketError error) { return os << to_string(error); }

Outcome<InnerPacket, InnerPacketError> parse_inner_packet(ByteView p) {
  if (p.empty()) return InnerPacketError::empty;
  InnerPacket out;
  out.version = p[0] >> 4;
  if (out.version == 4) {
    if (p.size() < kIpv4HeaderSize) return InnerPacketError::short_header;
    out.length = load_be16(p.data() + 2);
    if (out.length < kIpv4HeaderSize || out.length > p.size()) return InnerPacketError::bad_length;
    out.source = IpAddress::v4_bytes(p.data() + 12);
    out.destination = IpAddress::v4_bytes(p.data() + 16);
    parse_ipv4_transport(p, out);
    return out;
  }
  if (out.version == 6) {
    if (p.size() < kIpv6HeaderSize) return InnerPacketError::short_header;
    out.length = kIpv6HeaderSize + load_be16(p.data() + 4);
    if (out.length > p.size()) return InnerPacketError::bad_length;
    out.source = IpAddress::v6_bytes(p.data() + 8);
    out.destination = IpAddress::v6_bytes(p.data() + 24);
    parse_ipv6_transport(p, out);
    return out;
  }
  return InnerPacketError::bad_version;
}

std::optional<TransportPorts> transport_ports(const InnerPacket& parsed, ByteView packet) {
  if (!parsed.protocol || !parsed.transport_offset) return std::nullopt;
  const std::uint8_t proto = *parsed.protocol;
  if (proto != ip_protocol::tcp && proto != ip_protocol::udp) return std::nullopt;
  const std::size_t at = *parsed.transport_offset;
  const std::size_t need = proto == ip_protocol::tcp ? 14 : 4;
  if (at + need > parsed.length || at + need > packet.size()) return std::nullopt;
  TransportPorts ports;
  ports.source = load_be16(packet.data() + at);
  ports.destination = load_be16(packet.data() + at + 2);
  if (proto == ip_protocol::tcp) ports.tcp_flags = packet[at + 13];
  return ports;
}

}  // namespace tether::tunnel
