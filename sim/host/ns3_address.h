#pragma once
// Translation between tether's addresses and ns-3's. ns-3 keeps v4 and v6 in
// separate types (Ipv4Address, Inet6SocketAddress, ...) and passes socket
// addresses around type-erased as ns3::Address; this is the one place that
// knows which is which.

#include <optional>

#include <ns3/address.h>
#include <ns3/ipv4-address.h>
#include <ns3/ipv6-address.h>

#include "core/endpoint.h"

namespace tether::sim {

ns3::Ipv4Address to_ns3_v4(const IpAddress& address);  // address must be v4
ns3::Ipv6Address to_ns3_v6(const IpAddress& address);  // address must be v6
IpAddress from_ns3(const ns3::Ipv4Address& address);
IpAddress from_ns3(const ns3::Ipv6Address& address);

// An InetSocketAddress or Inet6SocketAddress, by the endpoint's family.
ns3::Address to_ns3_socket_address(const Endpoint& endpoint);
// Unset if `address` is neither an InetSocketAddress nor an Inet6SocketAddress.
std::optional<Endpoint> endpoint_from_ns3(const ns3::Address& address);

}  // namespace tether::sim
