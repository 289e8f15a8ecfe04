#pragma once
// Null routes for what an ISP took back (`ip route add blackhole ADDR`,
// `ip -6 route add blackhole 2001:db8:100::/56`). When a customer's address
// or delegated prefix changes, packets still sent to the old one must
// vanish at the ISP, not follow the ISP router's default route back into the
// internet and loop until their TTL runs out. ns-3's static routing has no
// null route, so this is a routing protocol of its own that sits in the
// router's list routing above static routing and consumes what it
// blackholes (ns-3's drop trace sees it as a route error; no ICMP is sent).
//
// One template, NullRouting<Family>, for both families, as ns-3 keeps its
// IPv4 and IPv6 routing twins side by side; BlackholeRouting (IPv4, one
// address at a time) and Ipv6BlackholeRouting (prefixes) are its two uses.

#include <cstdint>
#include <ostream>
#include <set>
#include <type_traits>
#include <utility>

#include <ns3/ipv4-address.h>
#include <ns3/ipv4-list-routing.h>
#include <ns3/ipv4-route.h>
#include <ns3/ipv4-routing-protocol.h>
#include <ns3/ipv4.h>
#include <ns3/ipv6-address.h>
#include <ns3/ipv6-list-routing.h>
#include <ns3/ipv6-route.h>
#include <ns3/ipv6-routing-protocol.h>
#include <ns3/ipv6.h>
#include <ns3/node.h>
#include <ns3/output-stream-wrapper.h>


namespace tether::sim {

// What differs between the families is only types, and how a prefix
// matches (prefix_matches below).
template <typename RoutingProtocolT, typename HeaderT, typename RouteT, std::uint8_t kBitsV>
struct RoutingFamily {
  using RoutingProtocol = RoutingProtocolT;
  using Header = HeaderT;
  using Route = RouteT;
  using Address = std::decay_t<decltype(std::declval<const HeaderT&>().GetDestination())>;
  static constexpr std::uint8_t kBits = kBitsV;
};
using Ipv4Family = RoutingFamily<ns3::Ipv4RoutingProtocol, ns3::Ipv4Header, ns3::Ipv4Route, 32>;
using Ipv6Family = RoutingFamily<ns3::Ipv6RoutingProtocol, ns3::Ipv6Header, ns3::Ipv6Route, 128>;

inline bool prefix_matches(ns3::Ipv4Address destination, ns3::Ipv4Address network, std::uint8_t length) {
  const std::uint32_t mask = length == 0 ? 0 : ~std::uint32_t(0) << (32 - length);
  return ns3::Ipv4Mask(mask).IsMatch(destination, network);
}
inline bool prefix_matches(ns3::Ipv6Address destination, ns3::Ipv6Address network, std::uint8_t length) {
  return ns3::Ipv6Prefix(length).IsMatch(destination, network);
}

// `Self` is the concrete protocol (it gives ns-3 its TypeId).
template <typename Family, typename Self>
class NullRouting : public Family::RoutingProtocol {
 public:
  using Address = typename Family::Address;
  using Protocol = typename Family::RoutingProtocol;

  void block(Address network, std::uint8_t length = Family::kBits) { blocked_.insert({network, length}); }
  void unblock(Address network, std::uint8_t length = Family::kBits) { blocked_.erase({network, length}); }
  bool blocks(Address destination) const {
    for (const auto& [network, length] : blocked_)
      if (prefix_matches(destination, network, length)) return true;
    return false;
  }
  std::uint64_t dropped() const { return dropped_; }

  // The router's own traffic is left to the other protocols.
  ns3::Ptr<typename Family::Route> RouteOutput(ns3::Ptr<ns3::Packet>, const typename Family::Header&,
                                               ns3::Ptr<ns3::NetDevice>, ns3::Socket::SocketErrno& sockerr) override {
    sockerr = ns3::Socket::ERROR_NOROUTETOHOST;
    return nullptr;
  }
  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const typename Family::Header& header,
                  ns3::Ptr<const ns3::NetDevice>, typename Protocol::UnicastForwardCallback,
                  typename Protocol::MulticastForwardCallback, typename Protocol::LocalDeliverCallback,
                  typename Protocol::ErrorCallback ecb) override {
    if (!blocks(header.GetDestination())) return false;
    ++dropped_;
    if (!ecb.IsNull()) ecb(p, header, ns3::Socket::ERROR_NOROUTETOHOST);
    return true;
  }
  void NotifyInterfaceUp(std::uint32_t) override {}
  void NotifyInterfaceDown(std::uint32_t) override {}
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit) const override {
    std::ostream& os = *stream->GetStream();
    os << Self::GetTypeId().GetName() << ": " << blocked_.size() << " blocked, " << dropped_ << " dropped\n";
    for (const auto& [network, length] : blocked_) os << "  blackhole " << network << "/" << unsigned(length) << "\n";
  }

 private:
  std::set<std::pair<Address, std::uint8_t>> blocked_;
  std::uint64_t dropped_ = 0;
};

// Each family's on(node): the node's instance, added to its list routing on
// first use, above static (0) and global (-10) routing, since a null route
// must win over the default route that would otherwise match. Null if the
// node does not route with a list.
class BlackholeRouting final : public NullRouting<Ipv4Family, BlackholeRouting> {
 public:
  static ns3::TypeId GetTypeId();
  static ns3::Ptr<BlackholeRouting> on(const ns3::Ptr<ns3::Node>& node);
  void NotifyAddAddress(std::uint32_t, ns3::Ipv4InterfaceAddress) override {}
  void NotifyRemoveAddress(std::uint32_t, ns3::Ipv4InterfaceAddress) override {}
  void SetIpv4(ns3::Ptr<ns3::Ipv4>) override {}
};

class Ipv6BlackholeRouting final : public NullRouting<Ipv6Family, Ipv6BlackholeRouting> {
 public:
  static ns3::TypeId GetTypeId();
  static ns3::Ptr<Ipv6BlackholeRouting> on(const ns3::Ptr<ns3::Node>& node);
  void NotifyAddAddress(std::uint32_t, ns3::Ipv6InterfaceAddress) override {}
  void NotifyRemoveAddress(std::uint32_t, ns3::Ipv6InterfaceAddress) override {}
  void NotifyAddRoute(ns3::Ipv6Address, ns3::Ipv6Prefix, ns3::Ipv6Address, std::uint32_t, ns3::Ipv6Address) override {}
  void NotifyRemoveRoute(ns3::Ipv6Address, ns3::Ipv6Prefix, ns3::Ipv6Address, std::uint32_t, ns3::Ipv6Address) override {}
  void SetIpv6(ns3::Ptr<ns3::Ipv6>) override {}
};

}  // namespace tether::sim
