#pragma once
// Conversions between core's address types and Asio's, so that nothing above
// impl/posix sees Boost and nothing in impl/posix parses text addresses.

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/endpoint.h"

namespace tether::posix {

boost::asio::ip::address to_asio(const IpAddress& address);
// IPv4-mapped IPv6 addresses come back as IPv4: that is what the peer is.
IpAddress from_asio(const boost::asio::ip::address& address);

inline boost::asio::ip::udp::endpoint to_udp(const Endpoint& e) {
  return {to_asio(e.address()), e.port()};
}
inline boost::asio::ip::tcp::endpoint to_tcp(const Endpoint& e) {
  return {to_asio(e.address()), e.port()};
}

template <typename AsioEndpoint>
Endpoint from_asio_endpoint(const AsioEndpoint& e) {
  return Endpoint(from_asio(e.address()), e.port());
}

}  // namespace tether::posix
