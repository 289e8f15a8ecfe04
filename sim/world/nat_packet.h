#pragma once
// The NAT's view of a packet's transport header, and the rewrite of its
// addresses and ports. The IPv4 header travels beside the payload in ns-3's
// forwarding path (Ipv4RoutingProtocol::RouteInput), so both are passed.
//
// Rewrites go through ns-3's own header classes: the packet keeps its
// identity, tags and metadata, and its checksums are recomputed exactly as
// an ns-3 sender computes them: when Node::ChecksumEnabled() (the IPv4 header
// checksum by Ipv4L3Protocol on the way out, the transport checksum here),
// and left zero otherwise, as every ns-3 node leaves them.

#include <cstdint>
#include <optional>

#include <ns3/ipv4-address.h>
#include <ns3/ipv4-header.h>
#include <ns3/packet.h>
#include <ns3/ptr.h>

#include "sim/world/nat_mapping_table.h"

namespace tether::sim {

struct TransportView {
  NatProtocol protocol = NatProtocol::udp;
  // For ICMP echo both are the echo identifier, the "port" of RFC 5508.
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  std::uint8_t tcp_flags = 0;
  bool icmp_echo_request = false;  // ICMP: request (type 8) or reply (type 0)
};

// The transport header of `payload` (the IPv4 payload); nullopt for what
// the NAT does not translate: protocols other than UDP, TCP and ICMP echo,
// ICMP errors, fragments, truncated headers.
std::optional<TransportView> read_transport(const ns3::Packet& payload, const ns3::Ipv4Header& header);

struct TransportRewrite {
  std::optional<ns3::Ipv4Address> source;
  std::optional<ns3::Ipv4Address> destination;
  // ICMP echo: either one sets the identifier.
  std::optional<std::uint16_t> source_port;
  std::optional<std::uint16_t> destination_port;
};

// A copy of `payload` with the rewrite applied to its transport header;
// `header` gets the new addresses.
ns3::Ptr<ns3::Packet> rewrite_transport(const ns3::Packet& payload, ns3::Ipv4Header& header,
                                        const TransportView& view, const TransportRewrite& rewrite);

}  // namespace tether::sim
