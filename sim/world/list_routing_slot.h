#pragma once
// The one instance of routing protocol P in a node's list routing (IPv4 or
// IPv6), added at `priority` the first time it is asked for. Null if the
// node has no list routing to add it to.

#include <cstdint>

#include <ns3/node.h>
#include <ns3/object.h>

namespace tether::sim {

template <typename P, typename ListRouting, typename L3>
ns3::Ptr<P> list_routing_slot(const ns3::Ptr<ns3::Node>& node, std::int16_t priority) {
  auto l3 = node ? node->GetObject<L3>() : nullptr;
  auto list = l3 ? ns3::DynamicCast<ListRouting>(l3->GetRoutingProtocol()) : nullptr;
  if (!list) return nullptr;
  for (std::uint32_t i = 0; i < list->GetNRoutingProtocols(); ++i) {
    std::int16_t ignored = 0;
    if (auto found = ns3::DynamicCast<P>(list->GetRoutingProtocol(i, ignored))) return found;
  }
  auto added = ns3::CreateObject<P>();
  list->AddRoutingProtocol(added, priority);
  return added;
}

}  // namespace tether::sim
