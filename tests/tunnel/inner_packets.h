#pragma once
// Minimal inner IP packets for tunnel tests: IPv4 or IPv6 (by the source
// address's family) carrying UDP, TCP, ICMP/ICMPv6 echo, or anything. The
// device never checks inner checksums, so they are left zero.

#include <cstdint>
#include <string_view>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "tunnel/inner_packet.h"

namespace tether::tunnel::testing {

inline IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }
inline IpPrefix prefix(std::string_view text) { return *IpPrefix::parse(text); }

inline Bytes ip_packet(const IpAddress& src, const IpAddress& dst, std::uint8_t protocol, ByteView transport) {
  Bytes p;
  if (src.is_v4()) {
    p.assign(20, 0);
    p[0] = 0x45;
    store_be16(&p[2], std::uint16_t(20 + transport.size()));
    p[8] = 64;
    p[9] = protocol;
    std::copy(src.bytes(), src.bytes() + 4, &p[12]);
    std::copy(dst.bytes(), dst.bytes() + 4, &p[16]);
  } else {
    p.assign(40, 0);
    p[0] = 0x60;
    store_be16(&p[4], std::uint16_t(transport.size()));
    p[6] = protocol;
    p[7] = 64;
    std::copy(src.bytes(), src.bytes() + 16, &p[8]);
    std::copy(dst.bytes(), dst.bytes() + 16, &p[24]);
  }
  append(p, transport);
  return p;
}

inline Bytes udp_packet(const IpAddress& src, std::uint16_t sport, const IpAddress& dst, std::uint16_t dport,
                        ByteView payload = ByteView()) {
  Bytes udp(8, 0);
  store_be16(&udp[0], sport);
  store_be16(&udp[2], dport);
  store_be16(&udp[4], std::uint16_t(8 + payload.size()));
  append(udp, payload);
  return ip_packet(src, dst, ip_protocol::udp, udp);
}

inline Bytes tcp_packet(const IpAddress& src, std::uint16_t sport, const IpAddress& dst, std::uint16_t dport,
                        std::uint8_t flags = tcp_flag::ack, ByteView payload = ByteView()) {
  Bytes tcp(20, 0);
  store_be16(&tcp[0], sport);
  store_be16(&tcp[2], dport);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  append(tcp, payload);
  return ip_packet(src, dst, ip_protocol::tcp, tcp);
}

// An echo request: ICMP type 8 over IPv4, ICMPv6 type 128 over IPv6.
inline Bytes echo_request(const IpAddress& src, const IpAddress& dst, std::uint16_t sequence = 1,
                          std::size_t payload = 56) {
  Bytes icmp(8 + payload, 0xab);
  icmp[0] = src.is_v4() ? 8 : 128;
  icmp[1] = 0;
  store_be16(&icmp[2], 0);
  store_be16(&icmp[4], 0x7e7e);
  store_be16(&icmp[6], sequence);
  return ip_packet(src, dst, src.is_v4() ? ip_protocol::icmp : ip_protocol::icmpv6, icmp);
}

}  // namespace tether::tunnel::testing
