#include "sim/world/static_routes.h"

#include <vector>

#include <ns3/ipv4-routing-table-entry.h>
#include <ns3/ipv4-static-routing-helper.h>
#include <ns3/ipv4.h>

namespace tether::sim {
namespace {

bool is_default(const ns3::Ipv4RoutingTableEntry& route) {
  return route.IsNetwork() && route.GetDestNetwork() == ns3::Ipv4Address::GetAny() &&
         route.GetDestNetworkMask() == ns3::Ipv4Mask::GetZero();
}

bool same_route(const ns3::Ipv4RoutingTableEntry& a, const ns3::Ipv4RoutingTableEntry& b) {
  return a.GetDestNetwork() == b.GetDestNetwork() && a.GetDestNetworkMask() == b.GetDestNetworkMask() &&
         a.GetGateway() == b.GetGateway() && a.GetInterface() == b.GetInterface();
}

void add_route(ns3::Ipv4StaticRouting& routing, const ns3::Ipv4RoutingTableEntry& route, std::uint32_t metric) {
  if (route.IsGateway())
    routing.AddNetworkRouteTo(route.GetDestNetwork(), route.GetDestNetworkMask(), route.GetGateway(),
                              route.GetInterface(), metric);
  else
    routing.AddNetworkRouteTo(route.GetDestNetwork(), route.GetDestNetworkMask(), route.GetInterface(), metric);
}

template <typename Pred>
void remove_routes(ns3::Ipv4StaticRouting& routing, Pred pred) {
  for (std::uint32_t i = routing.GetNRoutes(); i-- > 0;)
    if (pred(routing.GetRoute(i))) routing.RemoveRoute(i);
}

}  // namespace

ns3::Ptr<ns3::Ipv4StaticRouting> static_routing(const ns3::Ptr<ns3::Node>& node) {
  auto ipv4 = node ? node->GetObject<ns3::Ipv4>() : nullptr;
  if (!ipv4 || !ipv4->GetRoutingProtocol()) return nullptr;
  return ns3::Ipv4StaticRoutingHelper().GetStaticRouting(ipv4);
}

std::optional<DefaultRoute> default_route(const ns3::Ptr<ns3::Node>& node) {
  auto routing = static_routing(node);
  if (!routing) return std::nullopt;
  for (std::uint32_t i = 0; i < routing->GetNRoutes(); ++i) {
    auto route = routing->GetRoute(i);
    if (is_default(route)) return DefaultRoute{route.GetInterface(), route.GetGateway()};
  }
  return std::nullopt;
}

void set_default_route(const ns3::Ptr<ns3::Node>& node, std::uint32_t interface, ns3::Ipv4Address gateway) {
  auto routing = static_routing(node);
  if (!routing) return;
  remove_routes(*routing, is_default);
  routing->SetDefaultRoute(gateway, interface);
}

void remove_default_routes(const ns3::Ptr<ns3::Node>& node) {
  if (auto routing = static_routing(node)) remove_routes(*routing, is_default);
}

void add_host_route(const ns3::Ptr<ns3::Node>& node, ns3::Ipv4Address destination, std::uint32_t interface) {
  if (auto routing = static_routing(node)) routing->AddHostRouteTo(destination, interface);
}

void remove_host_routes(const ns3::Ptr<ns3::Node>& node, ns3::Ipv4Address destination) {
  auto routing = static_routing(node);
  if (!routing) return;
  remove_routes(*routing, [&](const ns3::Ipv4RoutingTableEntry& route) {
    return route.IsHost() && route.GetDest() == destination;
  });
}

void renumber_interface(const ns3::Ptr<ns3::Node>& node, std::uint32_t interface,
                        const ns3::Ipv4InterfaceAddress& address) {
  auto ipv4 = node->GetObject<ns3::Ipv4>();
  auto routing = static_routing(node);
  // What the interface's own networks do not account for: routes the
  // operator (or a model) added, which must survive the change.
  std::vector<std::pair<ns3::Ipv4RoutingTableEntry, std::uint32_t>> kept;
  if (routing) {
    for (std::uint32_t i = 0; i < routing->GetNRoutes(); ++i) {
      auto route = routing->GetRoute(i);
      if (route.GetInterface() != interface) continue;
      bool connected = false;
      for (std::uint32_t a = 0; a < ipv4->GetNAddresses(interface); ++a) {
        auto old = ipv4->GetAddress(interface, a);
        connected = connected || (!route.IsGateway() && route.GetDestNetwork() == old.GetLocal().CombineMask(old.GetMask()) &&
                                  route.GetDestNetworkMask() == old.GetMask());
      }
      if (!connected) kept.emplace_back(route, routing->GetMetric(i));
    }
  }
  while (ipv4->GetNAddresses(interface) > 0) ipv4->RemoveAddress(interface, 0u);
  ipv4->AddAddress(interface, address);
  if (!routing) return;
  for (const auto& [route, metric] : kept) {
    bool present = false;
    for (std::uint32_t i = 0; i < routing->GetNRoutes() && !present; ++i)
      present = same_route(routing->GetRoute(i), route);
    if (!present) add_route(*routing, route, metric);
  }
}

}  // namespace tether::sim
