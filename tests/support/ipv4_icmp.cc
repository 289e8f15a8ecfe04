#include "support/ipv4_icmp.h"

namespace tether::testing {

std::uint16_t internet_checksum(ByteView data) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) sum += std::uint32_t(data[i]) << 8 | data[i + 1];
  if (data.size() % 2) sum += std::uint32_t(data[data.size() - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return std::uint16_t(~sum);
}

Bytes build_icmp_echo(const IcmpEcho& echo) {
  const std::size_t icmp_len = 8 + echo.payload.size();
  Bytes p(20 + icmp_len, 0);
  p[0] = 0x45;  // version 4, 5-word header
  store_be16(&p[2], std::uint16_t(p.size()));
  p[8] = 64;  // TTL
  p[9] = 1;   // ICMP
  std::copy(echo.source.bytes(), echo.source.bytes() + 4, &p[12]);
  std::copy(echo.destination.bytes(), echo.destination.bytes() + 4, &p[16]);
  store_be16(&p[10], internet_checksum(ByteView(p.data(), 20)));
  std::uint8_t* icmp = &p[20];
  icmp[0] = echo.is_request ? 8 : 0;
  store_be16(icmp + 4, echo.identifier);
  store_be16(icmp + 6, echo.sequence);
  std::copy(echo.payload.begin(), echo.payload.end(), icmp + 8);
  store_be16(icmp + 2, internet_checksum(ByteView(icmp, icmp_len)));
  return p;
}

std::optional<IcmpEcho> parse_icmp_echo(ByteView p) {
  if (p.size() < 28 || p[0] >> 4 != 4) return std::nullopt;
  std::size_t header_len = std::size_t(p[0] & 15) * 4;
  std::size_t total = load_be16(p.data() + 2);
  if (header_len < 20 || total > p.size() || total < header_len + 8 || p[9] != 1) return std::nullopt;
  if (internet_checksum(p.subview(0, header_len)) != 0) return std::nullopt;
  ByteView icmp = p.subview(header_len, total - header_len);
  if (internet_checksum(icmp) != 0) return std::nullopt;
  if (icmp[0] != 8 && icmp[0] != 0) return std::nullopt;
  IcmpEcho echo;
  echo.source = IpAddress::v4_bytes(p.data() + 12);
  echo.destination = IpAddress::v4_bytes(p.data() + 16);
  echo.is_request = icmp[0] == 8;
  echo.identifier = load_be16(icmp.data() + 4);
  echo.sequence = load_be16(icmp.data() + 6);
  echo.payload = icmp.subview(8).to_bytes();
  return echo;
}

Bytes answer_icmp_echo(const IcmpEcho& request) {
  IcmpEcho reply = request;
  reply.source = request.destination;
  reply.destination = request.source;
  reply.is_request = false;
  return build_icmp_echo(reply);
}

}  // namespace tether::testing
