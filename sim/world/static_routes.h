#pragma once
// The route and address changes the world models make on a running node,
// over its Ipv4StaticRouting (found inside list routing, as
// Ipv4StaticRoutingHelper finds it). ns-3's static routing is what a
// scenario's nodes use; nothing re-adds a route it loses, so a renumbered
// uplink keeps its routes only if we carry them over (ns-3 drops a
// route whose interface goes down and never restores it).

#include <cstdint>
#include <optional>

#include <ns3/ipv4-address.h>
#include <ns3/ipv4-interface-address.h>
#include <ns3/ipv4-static-routing.h>
#include <ns3/node.h>
#include <ns3/ptr.h>

namespace tether::sim {

// Null if the node has no IPv4 stack or no static routing.
ns3::Ptr<ns3::Ipv4StaticRouting> static_routing(const ns3::Ptr<ns3::Node>& node);

struct DefaultRoute {
  std::uint32_t interface = 0;
  ns3::Ipv4Address gateway;
};

// The first default route, if any.
std::optional<DefaultRoute> default_route(const ns3::Ptr<ns3::Node>& node);
// Replaces every default route with one through `interface` via `gateway`.
void set_default_route(const ns3::Ptr<ns3::Node>& node, std::uint32_t interface, ns3::Ipv4Address gateway);
void remove_default_routes(const ns3::Ptr<ns3::Node>& node);

// Host routes (/32) to `destination` through `interface`.
void add_host_route(const ns3::Ptr<ns3::Node>& node, ns3::Ipv4Address destination, std::uint32_t interface);
void remove_host_routes(const ns3::Ptr<ns3::Node>& node, ns3::Ipv4Address destination);

// Gives `interface` the single address `address` in place of whatever it
// had (Ipv4::RemoveAddress / AddAddress), and keeps every route through the
// interface that does not belong to the old addresses' own networks
// (default and gateway routes). Sockets bound to an old address keep it.
void renumber_interface(const ns3::Ptr<ns3::Node>& node, std::uint32_t interface,
                        const ns3::Ipv4InterfaceAddress& address);

}  // namespace tether::sim
