#pragma once
// Where the NAT meets ns-3's IPv4 stack. ns-3.37 has no netfilter-like hook
// (no Ipv4NetfilterHook; that module never reached mainline), but every
// packet a node receives goes through its routing protocol's RouteInput()
// with the IPv4 header already parsed, and a forwarded packet leaves through
// the UnicastForwardCallback it is handed there. NatRouting is the node's
// Ipv4ListRouting (static routing and the rest stay inside it, so
// Ipv4StaticRoutingHelper::GetStaticRouting works on the NAT node as on any
// other) with two hooks:
//
// - prerouting, on packets from an uplink (WAN) interface: destination NAT,
//   before the local-delivery check that would otherwise hand a reply
//   addressed to the public address to the NAT node's own sockets;
// - postrouting, by wrapping the forward callback of packets from the LAN:
//   source NAT once the route has chosen the uplink, so the mapping belongs
//   to the uplink the packet really leaves by (this is what makes failover
//   between two uplinks work).
//
// Forwarding stays ns-3's own (Ipv4L3Protocol::IpForward: TTL, ICMP time
// exceeded, fragmentation, traces), and the IPv4 checksum is recomputed
// when the header is serialised on the way out.
//
// An ns-3 node's routing protocol is fixed when its stack is installed (a
// list routing cannot be re-parented afterwards), so the NAT node is built
// with NatRoutingHelper, or with install_nat_internet_stack().

#include <cstdint>
#include <list>
#include <utility>

#include <ns3/ipv4-list-routing.h>
#include <ns3/ipv4-routing-helper.h>
#include <ns3/node.h>

namespace tether::sim {

// What NatRouting asks of the NAT (sim/world/nat.h implements it).
class NatRoutingHook {
 public:
  enum class Verdict { pass, translated, consumed };

  virtual ~NatRoutingHook() = default;
  virtual bool is_wan(std::uint32_t interface) const = 0;
  // Whether `address` is the current address of an uplink.
  virtual bool is_public_address(const ns3::Ipv4Address& address) const = 0;
  // A packet that arrived on uplink `iif`. translated: route the rewritten
  // `packet`/`header` instead; consumed: dropped (the hook counted it);
  // pass: route it unchanged.
  virtual Verdict from_wan(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header, std::uint32_t iif) = 0;
  // A packet from the LAN addressed to a public address of the NAT itself
  // (RFC 4787 REQ-9, hairpinning).
  virtual Verdict hairpin(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header, std::uint32_t iif) = 0;
  // A packet from the LAN that routing sends out of uplink `oif`; false:
  // drop it (the hook counted it).
  virtual bool to_wan(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header, std::uint32_t oif) = 0;
};

class NatRouting : public ns3::Ipv4ListRouting {
 public:
  static ns3::TypeId GetTypeId();

  // Null: plain list routing (what the node does before a Nat attaches and
  // after it is gone).
  void set_hook(NatRoutingHook* hook) { hook_ = hook; }
  NatRoutingHook* hook() const { return hook_; }

  bool RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header, ns3::Ptr<const ns3::NetDevice> idev,
                  UnicastForwardCallback ucb, MulticastForwardCallback mcb, LocalDeliverCallback lcb,
                  ErrorCallback ecb) override;
  void SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) override;

 protected:
  void DoDispose() override;

 private:
  UnicastForwardCallback postrouting(const UnicastForwardCallback& ucb);
  void forward_from_lan(const UnicastForwardCallback& ucb, ns3::Ptr<ns3::Ipv4Route> route,
                        ns3::Ptr<const ns3::Packet> packet, const ns3::Ipv4Header& header);

  ns3::Ptr<ns3::Ipv4> ipv4_;
  NatRoutingHook* hook_ = nullptr;
  // Ipv4L3Protocol passes the same forward callback every time; its
  // wrapper is built once.
  UnicastForwardCallback wrapped_for_;
  UnicastForwardCallback wrapped_;
};

// Ipv4ListRoutingHelper's twin that makes a NatRouting: by default it holds
// static routing (priority 0), as InternetStackHelper's default list does.
class NatRoutingHelper : public ns3::Ipv4RoutingHelper {
 public:
  NatRoutingHelper();
  ~NatRoutingHelper() override;
  NatRoutingHelper(const NatRoutingHelper& other);
  NatRoutingHelper& operator=(const NatRoutingHelper&) = delete;

  NatRoutingHelper* Copy() const override;
  // Replaces the default list on first use.
  void Add(const ns3::Ipv4RoutingHelper& routing, std::int16_t priority);
  ns3::Ptr<ns3::Ipv4RoutingProtocol> Create(ns3::Ptr<ns3::Node> node) const override;

 private:
  std::list<std::pair<ns3::Ipv4RoutingHelper*, std::int16_t>> list_;
  bool defaults_ = true;
};

// InternetStackHelper with NatRoutingHelper on `node` (IPv4 and IPv6).
void install_nat_internet_stack(ns3::Ptr<ns3::Node> node);

}  // namespace tether::sim
