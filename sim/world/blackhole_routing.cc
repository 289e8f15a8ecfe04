#include "sim/world/blackhole_routing.h"

namespace tether::sim {

ns3::TypeId BlackholeRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::BlackholeRouting")
                               .SetParent<ns3::Ipv4RoutingProtocol>()
                               .SetGroupName("Tether")
                               .AddConstructor<BlackholeRouting>();
  return tid;
}

ns3::TypeId Ipv6BlackholeRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::Ipv6BlackholeRouting")
                               .SetParent<ns3::Ipv6RoutingProtocol>()
                               .SetGroupName("Tether")
                               .AddConstructor<Ipv6BlackholeRouting>();
  return tid;
}

}  // namespace tether::sim
