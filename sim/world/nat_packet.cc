#include "sim/world/nat_packet.h"

#include <ns3/icmpv4.h>
#include <ns3/node.h>
#include <ns3/tcp-header.h>
#include <ns3/udp-header.h>

namespace tether::sim {
namespace {

constexpr std::uint8_t kIcmp = 1, kTcp = 6, kUdp = 17;
constexpr std::uint8_t kEchoReply = 0, kEchoRequest = 8;

std::uint16_t be16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }

}  // namespace

std::optional<TransportView> read_transport(const ns3::Packet& payload, const ns3::Ipv4Header& header) {
  // Only a first fragment carries the ports, and the NAT does not
  // reassemble: tether's packets fit the MTU, so fragments are out of scope.
  if (header.GetFragmentOffset() != 0 || !header.IsLastFragment()) return std::nullopt;
  std::uint8_t bytes[14];
  const std::uint32_t have = payload.CopyData(bytes, sizeof bytes);
  TransportView view;
  switch (header.GetProtocol()) {
    case kUdp:
      if (have < 8) return std::nullopt;
      view.protocol = NatProtocol::udp;
      view.source_port = be16(bytes);
      view.destination_port = be16(bytes + 2);
      return view;
    case kTcp:
      if (have < 14) return std::nullopt;
      view.protocol = NatProtocol::tcp;
      view.source_port = be16(bytes);
      view.destination_port = be16(bytes + 2);
      view.tcp_flags = bytes[13];
      return view;
    case kIcmp:
      if (have < 8 || bytes[1] != 0) return std::nullopt;
      if (bytes[0] != kEchoRequest && bytes[0] != kEchoReply) return std::nullopt;
      view.protocol = NatProtocol::icmp;
      view.icmp_echo_request = bytes[0] == kEchoRequest;
      view.source_port = view.destination_port = be16(bytes + 4);
      return view;
    default:
      return std::nullopt;
  }
}

ns3::Ptr<ns3::Packet> rewrite_transport(const ns3::Packet& payload, ns3::Ipv4Header& header,
                                        const TransportView& view, const TransportRewrite& rewrite) {
  ns3::Ptr<ns3::Packet> packet = payload.Copy();
  if (rewrite.source) header.SetSource(*rewrite.source);
  if (rewrite.destination) header.SetDestination(*rewrite.destination);
  const bool checksums = ns3::Node::ChecksumEnabled();
  switch (view.protocol) {
    case NatProtocol::udp: {
      ns3::UdpHeader udp;
      packet->RemoveHeader(udp);
      // ns-3.37's UdpHeader keeps the length it read minus its own 8 bytes
      // and writes that back as the length field: force the true length, or
      // tshark sees a short datagram and cannot dissect what the NAT passed.
      udp.ForcePayloadSize(packet->GetSize() + 8);
      if (rewrite.source_port) udp.SetSourcePort(*rewrite.source_port);
      if (rewrite.destination_port) udp.SetDestinationPort(*rewrite.destination_port);
      if (checksums) {
        // A checksum of zero is what makes Serialize compute it afresh.
        udp.ForceChecksum(0);
        udp.EnableChecksums();
        udp.InitializeChecksum(header.GetSource(), header.GetDestination(), kUdp);
      }
      packet->AddHeader(udp);
      break;
    }
    case NatProtocol::tcp: {
      ns3::TcpHeader tcp;
      packet->RemoveHeader(tcp);
      if (rewrite.source_port) tcp.SetSourcePort(*rewrite.source_port);
      if (rewrite.destination_port) tcp.SetDestinationPort(*rewrite.destination_port);
      if (checksums) {
        tcp.EnableChecksums();
        tcp.InitializeChecksum(header.GetSource(), header.GetDestination(), kTcp);
      }
      packet->AddHeader(tcp);
      break;
    }
    case NatProtocol::icmp: {
      ns3::Icmpv4Header icmp;
      ns3::Icmpv4Echo echo;
      packet->RemoveHeader(icmp);
      packet->RemoveHeader(echo);
      if (rewrite.source_port) echo.SetIdentifier(*rewrite.source_port);
      if (rewrite.destination_port) echo.SetIdentifier(*rewrite.destination_port);
      packet->AddHeader(echo);
      if (checksums) icmp.EnableChecksum();
      packet->AddHeader(icmp);
      break;
    }
  }
  return packet;
}

}  // namespace tether::sim
