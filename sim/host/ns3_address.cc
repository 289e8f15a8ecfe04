#include "sim/host/ns3_address.h"

#include <cassert>

#include <ns3/inet-socket-address.h>
#include <ns3/inet6-socket-address.h>

namespace tether::sim {

ns3::Ipv4Address to_ns3_v4(const IpAddress& address) {
  assert(address.is_v4());
  return ns3::Ipv4Address(address.v4_host_order());
}

ns3::Ipv6Address to_ns3_v6(const IpAddress& address) {
  assert(address.is_v6());
  std::uint8_t bytes[16];
  std::copy(address.bytes(), address.bytes() + 16, bytes);
  return ns3::Ipv6Address(bytes);
}

IpAddress from_ns3(const ns3::Ipv4Address& address) { return IpAddress::v4(address.Get()); }

IpAddress from_ns3(const ns3::Ipv6Address& address) {
  std::uint8_t bytes[16];
  address.GetBytes(bytes);
  return IpAddress::v6_bytes(bytes);
}

ns3::Address to_ns3_socket_address(const Endpoint& endpoint) {
  if (endpoint.address().is_v4())
    return ns3::InetSocketAddress(to_ns3_v4(endpoint.address()), endpoint.port());
  return ns3::Inet6SocketAddress(to_ns3_v6(endpoint.address()), endpoint.port());
}

std::optional<Endpoint> endpoint_from_ns3(const ns3::Address& address) {
  if (ns3::InetSocketAddress::IsMatchingType(address)) {
    auto a = ns3::InetSocketAddress::ConvertFrom(address);
    return Endpoint(from_ns3(a.GetIpv4()), a.GetPort());
  }
  if (ns3::Inet6SocketAddress::IsMatchingType(address)) {
    auto a = ns3::Inet6SocketAddress::ConvertFrom(address);
    return Endpoint(from_ns3(a.GetIpv6()), a.GetPort());
  }
  return std::nullopt;
}

}  // namespace tether::sim
