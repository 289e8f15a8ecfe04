#pragma once
// Building the frames the reader tests write and read back: IPv4/IPv6
// packets (fragmented or not) carrying UDP, TCP or ICMP, wrapped in each
// link layer tether reads. Checksums are left 0 (UDP) or filled in (IPv4
// header), as the reader does not check them.

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "pcap/decode.h"

namespace tether::pcap::testing {

// A Result's error for an assertion message ("" when it holds a value:
// Boost.Test builds the message even when the assertion passes).
template <typename T>
std::string why(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().to_string();
}

IpAddress v4(const char* text);
IpAddress v6(const char* text);

Bytes udp(std::uint16_t source_port, std::uint16_t destination_port, ByteView payload);
Bytes tcp(std::uint16_t source_port, std::uint16_t destination_port, std::uint32_t seq, std::uint32_t ack,
          std::uint8_t flags, std::uint16_t window, ByteView payload, std::size_t option_bytes = 0);
// The same, from a segment's own fields (ports, numbers, flags, window, payload).
Bytes tcp(const Segment& segment);
Bytes icmp(std::uint8_t type, std::uint8_t code, ByteView body);

// An IPv4 packet; `flags_offset` is the raw 16-bit flags and fragment offset field.
Bytes ipv4(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol, ByteView payload,
           std::uint16_t id = 1, std::uint16_t flags_offset = 0);
// An IPv6 packet; `extensions` are raw extension headers put before the
// payload (their next-header bytes already chained), `next_header` the first.
Bytes ipv6(const IpAddress& source, const IpAddress& destination, std::uint8_t next_header, ByteView payload);

// The fragments of an IPv4 packet, `size` payload bytes each (a multiple of 8).
std::vector<Bytes> ipv4_fragments(const IpAddress& source, const IpAddress& destination, std::uint8_t protocol,
                                  ByteView payload, std::uint16_t id, std::size_t size);
// The fragments of an IPv6 packet: `unfragmentable` extension headers
// (chained to 44, the fragment header) then fragment headers with
// identification `id` over `fragmentable` (beginning with `first_header`).
std::vector<Bytes> ipv6_fragments(const IpAddress& source, const IpAddress& destination, ByteView fragmentable,
                                  std::uint8_t first_header, std::uint32_t id, std::size_t size);

// Link layers around an IP packet.
Bytes ethernet(ByteView ip, std::vector<std::uint16_t> vlan_tpids = {});
Bytes linux_sll(ByteView ip);
Bytes linux_sll2(ByteView ip);
Bytes ppp(ByteView ip, bool hdlc_framing);
Bytes bsd_null(ByteView ip, std::uint32_t family, bool network_order);

// Collects what the decoder hands over, copying the payloads.
struct Seen {
  std::vector<Datagram> datagrams;
  std::vector<Bytes> datagram_payloads;
  std::vector<Segment> segments;
  std::vector<Bytes> segment_payloads;
  std::vector<IcmpMessage> icmp;
  std::vector<Bytes> icmp_quoted;
  std::vector<DecodeError> errors;
  std::string errors_text() const;
};

class CollectingVisitor : public PacketVisitor {
 public:
  void on_datagram(const Datagram& d) override;
  void on_segment(const Segment& s) override;
  void on_icmp(const IcmpMessage& m) override;
  void on_error(const DecodeError& e) override { seen.errors.push_back(e); }
  Seen seen;
};

}  // namespace tether::pcap::testing
