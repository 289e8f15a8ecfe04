#pragma once
// A null route for an ISP's unassigned addresses (`ip route add blackhole`).
// When a customer's address changes, packets still sent to the old one must
// vanish at the ISP, not follow the ISP router's default route back into the
// internet and loop until their TTL runs out. ns-3's static routing has no
// null route, so this is a routing protocol of its own that sits in the
// router's Ipv4ListRouting above static routing and consumes what it
// blackholes (ns-3's drop trace sees it as a route error; no ICMP is sent).

#include <cstdint>
#include <set>

#include <ns3/ipv4-address.h>
#include <ns3/ipv4-routing-protocol.h>
#include <ns3/node.h>

namespace tether::sim {

class BlackholeRouting : public ns3::Ipv4RoutingProtocol {
 public:
  static ns3::TypeId GetTypeId();

  // The node's BlackholeRouting, added to its Ipv4ListRouting (above static
  // routing) on first use; null if the node does not route with a list.
  static ns3::Ptr<BlackholeRouting> on(const ns3::Ptr<ns3::Node>& node);

  void block(ns3::Ipv4Address address) { blocked_.insert(address); }
  void unblock(ns3::Ipv4Address address) { blocked_.erase(address); }
  bool blocks(ns3::Ipv4Address address) const { return blocked_.count(address) > 0; }
  std::uint64_t dropped() const { return dropped_; }

  ns3::Ptr<ns3::Ipv4Route> RouteOutput(ns3::Ptr<ns3::Packet> p, const ns3::Ipv4Header& header,
                                       ns3::Ptr<ns3::NetDevice> oif, ns3::Socket::SocketErrno& sockerr) override;
  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, ns3::Ptr<const ns3::NetDevice> idev,
                  UnicastForwardCallback ucb, MulticastForwardCallback mcb, LocalDeliverCallback lcb,
                  ErrorCallback ecb) override;
  void NotifyInterfaceUp(std::uint32_t) override {}
  void NotifyInterfaceDown(std::uint32_t) override {}
  void NotifyAddAddress(std::uint32_t, ns3::Ipv4InterfaceAddress) override {}
  void NotifyRemoveAddress(std::uint32_t, ns3::Ipv4InterfaceAddress) override {}
  void SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) override { ipv4_ = ipv4; }
  void PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit unit) const override;

 protected:
  void DoDispose() override;

 private:
  ns3::Ptr<ns3::Ipv4> ipv4_;
  std::set<ns3::Ipv4Address> blocked_;
  std::uint64_t dropped_ = 0;
};

}  // namespace tether::sim
