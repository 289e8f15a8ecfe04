#include "pcap/decode.h"

#include <pcap/dlt.h>

#include <cstdio>
#include <utility>

namespace tether::pcap {
namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

constexpr std::uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100, kEtherQinQ = 0x88a8, kEtherQinQOld = 0x9100;
constexpr std::uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpv6 = 58;

}  // namespace

std::string DecodeError::to_string() const {
  std::string where = origin.capture_name;
  if (origin.packet_number != 0) where += ": packet " + std::to_string(origin.packet_number);
  return where + ": " + message;
}

bool link_type_supported(int link_type) {
  switch (link_type) {
    case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
    case DLT_PPP: case DLT_NULL: case DLT_LOOP:
      return true;
    default:
      return false;
  }
}

std::string link_type_name(int link_type) {
  switch (link_type) {
    case DLT_EN10MB: return "EN10MB (Ethernet)";
    case DLT_LINUX_SLL: return "LINUX_SLL (Linux cooked)";
    case DLT_LINUX_SLL2: return "LINUX_SLL2 (Linux cooked v2)";
    case DLT_RAW: return "RAW (raw IP)";
    case DLT_IPV4: return "IPV4 (raw IPv4)";
    case DLT_IPV6: return "IPV6 (raw IPv6)";
    case DLT_PPP: return "PPP";
    case DLT_NULL: return "NULL (BSD loopback)";
    case DLT_LOOP: return "LOOP (OpenBSD loopback)";
    default: return "DLT " + std::to_string(link_type);
  }
}

// The bytes of one layer, and how many more the snaplen cut off its end
// (0 when it was captured whole).
struct Decoder::Layer {
  ByteView bytes;
  std::size_t missing = 0;

  Layer after(std::size_t n) const { return Layer{bytes.subview(n), missing}; }
  // Why fewer than `need` bytes of `what` are here, or nullopt if they are.
  std::optional<std::string> lacks(std::size_t need, const char* what) const {
    if (bytes.size() >= need) return std::nullopt;
    return std::string(missing > 0 ? "the capture's snaplen cut the " : "truncated ") + what + " header: " +
           std::to_string(bytes.size()) + " of " + std::to_string(need) + " bytes captured";
  }
  // Narrows to a length field's `length`; an error if it claims more than
  // was on the wire.
  std::optional<std::string> limit_to(std::size_t length, const char* what) {
    if (length <= bytes.size()) {
      bytes = bytes.subview(0, length);
      missing = 0;
      return std::nullopt;
    }
    if (length <= bytes.size() + missing) {
      missing = length - bytes.size();
      return std::nullopt;
    }
    return std::string(what) + " length " + std::to_string(length) + " exceeds the " +
           std::to_string(bytes.size() + missing) + " bytes on the wire";
  }
};

Decoder::Decoder(int link_type, PacketVisitor& visitor, ReassemblyLimits limits)
    : link_type_(link_type), visitor_(visitor), reassembler_(limits) {}

void Decoder::error(const Origin& origin, std::string message) {
  visitor_.on_error(DecodeError{origin, std::move(message)});
}

void Decoder::decode(const Origin& origin, ByteView frame, std::uint32_t original_length) {
  Layer layer{frame, original_length > frame.size() ? original_length - frame.size() : 0};
  link(origin, layer);
}

void Decoder::finish() {
  reassembler_.finish([this](const ReassemblyFailure& f) { error(f.origin, f.message); });
}

void Decoder::link(const Origin& origin, Layer frame) {
  const std::uint8_t* p = frame.bytes.data();
  switch (link_type_) {
    case DLT_EN10MB:
      if (auto why = frame.lacks(14, "Ethernet")) return error(origin, *why);
      return ethertype(origin, be16(p + 12), frame.after(14));
    case DLT_LINUX_SLL:  // packet type, ARPHRD, address length, 8 address bytes, protocol
      if (auto why = frame.lacks(16, "Linux cooked (SLL)")) return error(origin, *why);
      return ethertype(origin, be16(p + 14), frame.after(16));
    case DLT_LINUX_SLL2:  // protocol, reserved, interface index, ARPHRD, packet type, address length, 8 address bytes
      if (auto why = frame.lacks(20, "Linux cooked (SLL2)")) return error(origin, *why);
      return ethertype(origin, be16(p), frame.after(20));
    case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
      return ip(origin, frame);
    case DLT_PPP: {
      // RFC 1662 HDLC-like framing (address 0xff, control 0x03) is optional
      // in DLT_PPP captures; ns-3 writes only the 2-byte protocol
      // (src/point-to-point/model/ppp-header.cc, PppHeader::Serialize).
      std::size_t at = 0;
      if (frame.bytes.size() >= 2 && p[0] == 0xff && p[1] == 0x03) at = 2;
      if (auto why = frame.after(at).lacks(1, "PPP")) return error(origin, *why);
      std::uint16_t protocol;
      if (p[at] & 1) {  // RFC 1661 section 6.5: a compressed (one-byte) protocol field
        protocol = p[at];
        at += 1;
      } else {
        if (auto why = frame.after(at).lacks(2, "PPP")) return error(origin, *why);
        protocol = be16(p + at);
        at += 2;
      }
      if (protocol == 0x0021 || protocol == 0x0057) return ip(origin, frame.after(at));
      return;  // LCP, IPCP and the rest carry no IP
    }
    case DLT_NULL: case DLT_LOOP: {
      // The address family, in the capturing host's byte order for NULL and
      // in network order for LOOP; libpcap's own filter code (gencode.c)
      // accepts both orders for NULL, and so do we for either.
      if (auto why = frame.lacks(4, "loopback")) return error(origin, *why);
      std::uint32_t family = be32(p);
      if (family > 0xffff) family = __builtin_bswap32(family);
      // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (OpenBSD,
      // NetBSD), 28 (FreeBSD), 30 (macOS).
      if (family == 2 || family == 10 || family == 24 || family == 28 || family == 30) return ip(origin, frame.after(4));
      return error(origin, "loopback header: unknown address family " + std::to_string(family));
    }
    default:
      return error(origin, "link type " + link_type_name(link_type_) + " is not supported");
  }
}

void Decoder::ethertype(const Origin& origin, std::uint16_t type, Layer rest) {
  // 802.1Q and 802.1ad tags, stacked as deep as they come: each is a TCI
  // then the next EtherType.
  while (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld) {
    if (auto why = rest.lacks(4, "VLAN tag")) return error(origin, *why);
    type = be16(rest.bytes.data() + 2);
    rest = rest.after(4);
  }
  if (type == kEtherIpv4 || type == kEtherIpv6) return ip(origin, rest);
}

void Decoder::ip(const Origin& origin, Layer packet) {
  if (auto why = packet.lacks(1, "IP")) return error(origin, *why);
  int version = packet.bytes[0] >> 4;
  if (version == 4) return ipv4(origin, packet);
  if (version == 6) return ipv6(origin, packet);
  error(origin, "IP version " + std::to_string(version) + " (neither 4 nor 6)");
}

void Decoder::ipv4(const Origin& origin, Layer packet) {
  if (auto why = packet.lacks(20, "IPv4")) return error(origin, *why);
  const std::uint8_t* p = packet.bytes.data();
  std::size_t header_length = std::size_t{p[0] & 0x0fu} * 4;
  if (header_length < 20) return error(origin, "IPv4 header length " + std::to_string(header_length) + " is under 20");
  if (auto why = packet.lacks(header_length, "IPv4")) return error(origin, *why);
  std::size_t total = be16(p + 2);
  if (total < header_length) {
    return error(origin, "IPv4 total length " + std::to_string(total) + " is under its header length " +
                             std::to_string(header_length));
  }
  // Ethernet pads short frames: the total length says where the packet ends.
  if (auto why = packet.limit_to(total, "IPv4 total")) return error(origin, *why);
  IpAddress source = IpAddress::v4_bytes(p + 12), destination = IpAddress::v4_bytes(p + 16);
  std::uint8_t protocol = p[9];
  std::uint16_t flags_offset = be16(p + 6);
  bool more = flags_offset & 0x2000;
  std::uint32_t offset = std::uint32_t{flags_offset & 0x1fffu} * 8;
  Layer payload = packet.after(header_length);
  if (!more && offset == 0) return transport(origin, false, source, destination, protocol, payload);
  if (payload.missing > 0) return error(origin, "the capture's snaplen cut an IPv4 fragment: it cannot be reassembled");
  Fragment piece;
  piece.key = FragmentKey{false, source, destination, protocol, be16(p + 4)};
  piece.offset = offset;
  piece.more = more;
  piece.next_header = protocol;
  piece.data = payload.bytes;
  if (more && piece.data.size() % 8 != 0) {
    return error(origin, "IPv4 fragment with more to come has " + std::to_string(piece.data.size()) +
                             " bytes, not a multiple of 8");
  }
  fragment(origin, piece);
}

void Decoder::ipv6(const Origin& origin, Layer packet) {
  if (auto why = packet.lacks(40, "IPv6")) return error(origin, *why);
  const std::uint8_t* p = packet.bytes.data();
  std::size_t payload_length = be16(p + 4);
  // A payload length of 0 with a Hop-by-Hop header would be a jumbogram
  // (RFC 2675), which no link we read can carry.
  if (auto why = packet.limit_to(40 + payload_length, "IPv6 payload")) return error(origin, *why);
  ipv6_chain(origin, IpAddress::v6_bytes(p + 8), IpAddress::v6_bytes(p + 24), p[6], packet.after(40));
}

void Decoder::ipv6_chain(const Origin& origin, const IpAddress& source, const IpAddress& destination,
                         std::uint8_t next_header, Layer rest) {
  // RFC 8200 section 4: walk the extension headers to the upper layer.
  for (int hops = 0; hops < 64; ++hops) {
    switch (next_header) {
      case 0: case 43: case 60: case 135: case 139: case 140: {  // hop-by-hop, routing, destination, mobility, HIP, shim6
        if (auto why = rest.lacks(2, "IPv6 extension")) return error(origin, *why);
        std::size_t length = (std::size_t{rest.bytes[1]} + 1) * 8;
        if (auto why = rest.lacks(length, "IPv6 extension")) return error(origin, *why);
        next_header = rest.bytes[0];
        rest = rest.after(length);
        continue;
      }
      case 51: {  // AH (RFC 4302): its length counts 4-octet units, less 2
        if (auto why = rest.lacks(2, "IPv6 authentication")) return error(origin, *why);
        std::size_t length = (std::size_t{rest.bytes[1]} + 2) * 4;
        if (auto why = rest.lacks(length, "IPv6 authentication")) return error(origin, *why);
        next_header = rest.bytes[0];
        rest = rest.after(length);
        continue;
      }
      case 44: {  // fragment (RFC 8200 section 4.5)
        if (auto why = rest.lacks(8, "IPv6 fragment")) return error(origin, *why);
        const std::uint8_t* f = rest.bytes.data();
        std::uint16_t offset_flags = be16(f + 2);
        Fragment piece;
        piece.key = FragmentKey{true, source, destination, 0, be32(f + 4)};
        piece.offset = offset_flags & 0xfff8u;
        piece.more = offset_flags & 1;
        piece.next_header = f[0];
        Layer data = rest.after(8);
        if (!piece.more && piece.offset == 0) {  // an atomic fragment (RFC 6946): not reassembled
          next_header = f[0];
          rest = data;
          continue;
        }
        if (data.missing > 0) return error(origin, "the capture's snaplen cut an IPv6 fragment: it cannot be reassembled");
        piece.data = data.bytes;
        if (piece.more && piece.data.size() % 8 != 0) {
          return error(origin, "IPv6 fragment with more to come has " + std::to_string(piece.data.size()) +
                                   " bytes, not a multiple of 8");
        }
        return fragment(origin, piece);
      }
      case 59:  // no next header
        return;
      default:
        return transport(origin, true, source, destination, next_header, rest);
    }
  }
  error(origin, "more than 64 IPv6 extension headers");
}

void Decoder::fragment(const Origin& origin, const Fragment& piece) {
  auto failed = [this](const ReassemblyFailure& f) { error(f.origin, f.message); };
  std::optional<ReassembledDatagram> whole = reassembler_.add(origin, piece, failed);
  if (!whole) return;
  Layer payload{ByteView(whole->payload), 0};
  if (whole->key.v6) {
    // The fragmentable part may start with more extension headers.
    return ipv6_chain(origin, whole->key.source, whole->key.destination, whole->next_header, payload);
  }
  transport(origin, false, whole->key.source, whole->key.destination, whole->next_header, payload);
}

void Decoder::transport(const Origin& origin, bool v6, const IpAddress& source, const IpAddress& destination,
                        std::uint8_t protocol, Layer payload) {
  if (protocol == kProtoUdp) return udp(origin, source, destination, payload);
  if (protocol == kProtoTcp) return tcp(origin, source, destination, payload);
  if (protocol == (v6 ? kProtoIcmpv6 : kProtoIcmp)) return icmp(origin, v6, source, destination, payload);
}

void Decoder::udp(const Origin& origin, const IpAddress& source, const IpAddress& destination, Layer payload) {
  if (auto why = payload.lacks(8, "UDP")) return error(origin, *why);
  const std::uint8_t* p = payload.bytes.data();
  std::size_t length = be16(p + 4);
  if (length < 8) return error(origin, "UDP length " + std::to_string(length) + " is under 8");
  if (auto why = payload.limit_to(length, "UDP")) return error(origin, *why);
  Datagram datagram;
  datagram.origin = origin;
  datagram.source = Endpoint(source, be16(p));
  datagram.destination = Endpoint(destination, be16(p + 2));
  datagram.payload = payload.bytes.subview(8);
  datagram.payload_cut = static_cast<std::uint32_t>(payload.missing);
  visitor_.on_datagram(datagram);
}

void Decoder::tcp(const Origin& origin, const IpAddress& source, const IpAddress& destination, Layer payload) {
  if (auto why = payload.lacks(20, "TCP")) return error(origin, *why);
  const std::uint8_t* p = payload.bytes.data();
  std::size_t header_length = static_cast<std::size_t>(p[12] >> 4) * 4;
  if (header_length < 20) return error(origin, "TCP data offset " + std::to_string(header_length) + " is under 20");
  if (auto why = payload.lacks(header_length, "TCP")) return error(origin, *why);
  Segment segment;
  segment.origin = origin;
  segment.source = Endpoint(source, be16(p));
  segment.destination = Endpoint(destination, be16(p + 2));
  segment.seq = be32(p + 4);
  segment.ack = be32(p + 8);
  std::uint8_t flags = p[13];
  segment.fin = flags & 0x01;
  segment.syn = flags & 0x02;
  segment.rst = flags & 0x04;
  segment.psh = flags & 0x08;
  segment.ack_flag = flags & 0x10;
  segment.window = be16(p + 14);
  segment.payload = payload.bytes.subview(header_length);  // options skipped
  segment.payload_cut = static_cast<std::uint32_t>(payload.missing);
  visitor_.on_segment(segment);
}

void Decoder::icmp(const Origin& origin, bool v6, const IpAddress& source, const IpAddress& destination, Layer payload) {
  const char* what = v6 ? "ICMPv6" : "ICMP";
  if (auto why = payload.lacks(8, what)) return error(origin, *why);
  IcmpMessage message;
  message.origin = origin;
  message.source = source;
  message.destination = destination;
  message.v6 = v6;
  message.type = payload.bytes[0];
  message.code = payload.bytes[1];
  // The error messages quote the packet they answer after their 8-byte
  // header: ICMPv4 destination unreachable (3), source quench (4), redirect
  // (5), time exceeded (11), parameter problem (12) (RFC 792); ICMPv6's
  // error messages are types 0-127 (RFC 4443 section 2.1).
  bool quotes = v6 ? message.type < 128
                   : (message.type == 3 || message.type == 4 || message.type == 5 || message.type == 11 ||
                      message.type == 12);
  if (quotes) message.quoted = payload.bytes.subview(8);
  visitor_.on_icmp(message);
}

}  // namespace tether::pcap
