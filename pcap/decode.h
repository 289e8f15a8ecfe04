#pragma once
// Taking a captured frame apart down to the transport: the link layer
// (Ethernet with 802.1Q/QinQ tags, Linux cooked SLL and SLL2, raw IP, PPP,
// BSD NULL/LOOP), IPv4 and IPv6 (extension headers walked to the upper
// layer, fragments reassembled by pcap/ip_reassembly.h), then UDP, TCP and
// ICMP/ICMPv6, handed to a PacketVisitor as pcap/packet.h's units.
// Checksums are not verified: captures on hosts with checksum offload show
// outgoing packets with checksums not yet filled in, as tshark warns.
// Anything else on the link (ARP, LLDP, other IP protocols) is passed over
// without a word; what is malformed or cut is reported, per record.

#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "pcap/ip_reassembly.h"
#include "pcap/packet.h"

namespace tether::pcap {

// A record (or reassembled datagram) that could not be decoded: where, and
// what is wrong. to_string() reads "FILE: packet N: MESSAGE".
struct DecodeError {
  Origin origin;
  std::string message;
  std::string to_string() const;
};

// What consumers (the dissectors) implement. The units' payload views live
// only for the call.
class PacketVisitor {
 public:
  virtual ~PacketVisitor() = default;
  virtual void on_datagram(const Datagram&) {}
  virtual void on_segment(const Segment&) {}
  virtual void on_icmp(const IcmpMessage&) {}
  virtual void on_error(const DecodeError&) {}
};

// Whether decode() understands a link type (DLT_*), and its name for
// messages ("EN10MB", "LINUX_SLL2", "DLT 147").
bool link_type_supported(int link_type);
std::string link_type_name(int link_type);

class Decoder {
 public:
  Decoder(int link_type, PacketVisitor& visitor, ReassemblyLimits limits = {});

  // One record: `frame` is what was captured, `original_length` what was on
  // the wire (more when the snaplen cut the frame).
  void decode(const Origin& origin, ByteView frame, std::uint32_t original_length);
  // The end of the capture: datagrams still missing fragments are reported.
  void finish();

  const IpReassembler& reassembler() const { return reassembler_; }

 private:
  struct Layer;  // the bytes of one layer and whether the snaplen cut them
  void link(const Origin& origin, Layer frame);
  void ethertype(const Origin& origin, std::uint16_t type, Layer rest);
  void ip(const Origin& origin, Layer packet);
  void ipv4(const Origin& origin, Layer packet);
  void ipv6(const Origin& origin, Layer packet);
  void ipv6_chain(const Origin& origin, const IpAddress& source, const IpAddress& destination,
                  std::uint8_t next_header, Layer rest);
  void transport(const Origin& origin, bool v6, const IpAddress& source, const IpAddress& destination,
                 std::uint8_t protocol, Layer payload);
  void udp(const Origin& origin, const IpAddress& source, const IpAddress& destination, Layer payload);
  void tcp(const Origin& origin, const IpAddress& source, const IpAddress& destination, Layer payload);
  void icmp(const Origin& origin, bool v6, const IpAddress& source, const IpAddress& destination, Layer payload);
  void fragment(const Origin& origin, const Fragment& fragment);
  void error(const Origin& origin, std::string message);

  int link_type_;
  PacketVisitor& visitor_;
  IpReassembler reassembler_;
};

}  // namespace tether::pcap
