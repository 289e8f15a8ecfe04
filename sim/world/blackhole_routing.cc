#include "sim/world/blackhole_routing.h"

#include "sim/world/list_routing_slot.h"

namespace tether::sim {

ns3::TypeId BlackholeRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::BlackholeRouting")
                               .SetParent<ns3::Ipv4RoutingProtocol>()
                               .SetGroupName("Tether")
                               .AddConstructor<BlackholeRouting>();
  return tid;
}

ns3::Ptr<BlackholeRouting> BlackholeRouting::on(const ns3::Ptr<ns3::Node>& node) {
  return list_routing_slot<BlackholeRouting, ns3::Ipv4ListRouting, ns3::Ipv4>(node, 100);
}

ns3::TypeId Ipv6BlackholeRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::Ipv6BlackholeRouting")
                               .SetParent<ns3::Ipv6RoutingProtocol>()
                               .SetGroupName("Tether")
                               .AddConstructor<Ipv6BlackholeRouting>();
  return tid;
}

ns3::Ptr<Ipv6BlackholeRouting> Ipv6BlackholeRouting::on(const ns3::Ptr<ns3::Node>& node) {
  return list_routing_slot<Ipv6BlackholeRouting, ns3::Ipv6ListRouting, ns3::Ipv6>(node, 100);
}

}  // namespace tether::sim
