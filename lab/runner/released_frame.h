#pragma once
// The Ethernet frame a packet came in on at a lab link end, rebuilt for the
// capture from what the end's delay line hands over when it lets the packet
// in (lab/shaping's ReleasedPacket: the IP packet from its network header,
// and the link-layer source the kernel read from the frame, NFQA_HWADDR).
// The queue never sees the Ethernet header itself (NFQUEUE copies from the
// network header on), so the rest of it is put back as the frame must have
// carried it:
//  - type: IPv4 or IPv6, from the packet's version;
//  - destination: a multicast packet's group address (01:00:5e and the low
//    23 bits of an IPv4 group, RFC 1112 section 6.4; 33:33 and the low 32
//    bits of an IPv6 one, RFC 2464 section 7), the broadcast address for
//    255.255.255.255, and otherwise the receiving interface's own: a frame
//    addressed to another station never reaches PREROUTING (ip_rcv and
//    ipv6_rcv drop PACKET_OTHERHOST), so a unicast packet the queue saw came
//    in a frame to this interface. A subnet's directed broadcast is the one
//    case written with the interface's address in place of ff:..:ff (the
//    lab sends none);
//  - source: the 6 bytes the kernel gave, else zeros.

#include <array>
#include <cstdint>

#include "core/bytes.h"

namespace tether::lab {

using MacAddress = std::array<std::uint8_t, 6>;

Bytes ethernet_frame(ByteView ip_packet, ByteView source_hw, const MacAddress& own);

}  // namespace tether::lab
