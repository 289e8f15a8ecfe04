#include "daemon/interface_addresses.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace tether::daemon {
namespace {

void add(node::InterfaceAddresses& map, const std::string& name, const IpAddress& address) {
  auto& list = map[name];
  if (std::find(list.begin(), list.end(), address) == list.end()) list.push_back(address);
}

}  // namespace

node::InterfaceAddresses system_interface_addresses() {
  node::InterfaceAddresses map;
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return map;
  for (struct ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || !i->ifa_name || !(i->ifa_flags & IFF_UP)) continue;
    std::optional<IpAddress> address;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const struct sockaddr_in*>(i->ifa_addr);
      std::uint8_t bytes[4];
      std::memcpy(bytes, &sin->sin_addr, 4);
      address = IpAddress::v4_bytes(bytes);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const struct sockaddr_in6*>(i->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) continue;
      address = IpAddress::v6_bytes(sin6->sin6_addr.s6_addr);
    }
    if (!address) continue;
    add(map, i->ifa_name, *address);
    if (!(i->ifa_flags & IFF_LOOPBACK) && !address->is_loopback()) add(map, "egress", *address);
  }
  ::freeifaddrs(list);
  return map;
}

}  // namespace tether::daemon
