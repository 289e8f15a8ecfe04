#pragma once
// The IPv6 side of BlackholeRouting: a null route for prefixes an ISP took
// back (`ip -6 route add blackhole 2001:db8:100::/56`). After a home's
// delegated prefix changes, packets still sent to its old addresses vanish
// at the ISP router (no ICMPv6, as for the old IPv4 address) instead of
// following its default route back into the internet. ns-3's
// Ipv6StaticRouting has no null route, so this sits in the router's
// Ipv6ListRouting above it and consumes what it blocks.

#include <cstdint>
#include <set>
#include <utility>

#include <ns3/ipv6-address.h>
#include <ns3/ipv6-routing-protocol.h>
#include <ns3/node.h>

namespace tether::sim {

class Ipv6BlackholeRouting : public ns3::Ipv6RoutingProtocol {
 public:
  static ns3::TypeId GetTypeId();

  // The node's Ipv6BlackholeRouting, added to its Ipv6ListRouting (above
  // static routing) on first use; null if the node has no IPv6 list routing.
  static ns3::Ptr<Ipv6BlackholeRouting> on(const ns3::Ptr<ns3::Node>& node);

  void block(ns3::Ipv6Address network, std::uint8_t length) { blocked_.insert({network, length}); }
  void unblock(ns3::Ipv6Address network, std::uint8_t length) { blocked_.erase({network, length}); }
  bool blocks(ns3::Ipv6Address destination) const;
  std::uint64_t dropped() const { return dropped_; }

  ns3::Ptr<ns3::Ipv6Route> RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv6Header& header,
                                       ns3::Ptr<ns3::NetDevice> oif, ns3::Socket::SocketErrno& sockerr) override;
  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv6Header& header, ns3::Ptr<const ns3::NetDevice> idev,
                  UnicastForwardCallback ucb, MulticastForwardCallback mcb, LocalDeliverCallback lcb,
                  ErrorCallback ecb) override;
  void NotifyInterfaceUp(std::uint32_t) override {}
  void NotifyInterfaceDown(std::uint32_t) override {}
  void NotifyAddAddress(std::uint32_t, ns3::Ipv6InterfaceAddress) override {}
  void NotifyRemoveAddress(std::uint32_t, ns3::Ipv6InterfaceAddress) override {}
  void NotifyAddRoute(ns3::Ipv6Address, ns3::Ipv6Prefix, ns3::Ipv6Address, std::uint32_t, ns3::Ipv6Address) override {}
  void NotifyRemoveRoute(ns3::Ipv6Address, ns3::Ipv6Prefix, ns3::Ipv6Address, std::uint32_t, ns3::Ipv6Address) override {}
  void SetIpv6(ns3::Ptr<ns3::Ipv6> ipv6) override { ipv6_ = ipv6; }
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit unit) const override;

 protected:
  void DoDispose() override;

 private:
  ns3::Ptr<ns3::Ipv6> ipv6_;
  std::set<std::pair<ns3::Ipv6Address, std::uint8_t>> blocked_;
  std::uint64_t dropped_ = 0;
};

}  // namespace tether::sim
