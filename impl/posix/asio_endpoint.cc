#include "posix/asio_endpoint.h"

#include <cstring>

namespace tether::posix {

boost::asio::ip::address to_asio(const IpAddress& address) {
  if (address.is_v4()) {
    boost::asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), address.bytes(), 4);
    return boost::asio::ip::address_v4(b);
  }
  boost::asio::ip::address_v6::bytes_type b;
  std::memcpy(b.data(), address.bytes(), 16);
  return boost::asio::ip::address_v6(b);
}

IpAddress from_asio(const boost::asio::ip::address& address) {
  if (address.is_v4()) return IpAddress::v4_bytes(address.to_v4().to_bytes().data());
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return from_asio(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  return IpAddress::v6_bytes(v6.to_bytes().data());
}

}  // namespace tether::posix
