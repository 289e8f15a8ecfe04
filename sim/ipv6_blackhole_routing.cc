#include "sim/ipv6_blackhole_routing.h"

#include <ostream>

#include <ns3/ipv6-list-routing.h>
#include <ns3/ipv6-route.h>
#include <ns3/ipv6.h>
#include <ns3/output-stream-wrapper.h>

#include "sim/list_routing_slot.h"

namespace tether::sim {

ns3::TypeId Ipv6BlackholeRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::Ipv6BlackholeRouting")
                               .SetParent<ns3::Ipv6RoutingProtocol>()
                               .SetGroupName("Tether")
                               .AddConstructor<Ipv6BlackholeRouting>();
  return tid;
}

ns3::Ptr<Ipv6BlackholeRouting> Ipv6BlackholeRouting::on(const ns3::Ptr<ns3::Node>& node) {
  // Above static routing (0): the null route must win over the default route.
  return list_routing_slot<Ipv6BlackholeRouting, ns3::Ipv6ListRouting, ns3::Ipv6>(node, 100);
}

bool Ipv6BlackholeRouting::blocks(ns3::Ipv6Address destination) const {
  for (const auto& [network, length] : blocked_)
    if (ns3::Ipv6Prefix(length).IsMatch(destination, network)) return true;
  return false;
}

ns3::Ptr<ns3::Ipv6Route> Ipv6BlackholeRouting::RouteOutput(ns3::Ptr<ns3::Packet>, const ns3::Ipv6Header&,
                                                           ns3::Ptr<ns3::NetDevice>, ns3::Socket::SocketErrno& sockerr) {
  // The router's own traffic is left to the other protocols.
  sockerr = ns3::Socket::ERROR_NOROUTETOHOST;
  return nullptr;
}

bool Ipv6BlackholeRouting::RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv6Header& header,
                                      ns3::Ptr<const ns3::NetDevice>, UnicastForwardCallback, MulticastForwardCallback,
                                      LocalDeliverCallback, ErrorCallback ecb) {
  if (!blocks(header.GetDestination())) return false;
  ++dropped_;
  if (!ecb.IsNull()) ecb(p, header, ns3::Socket::ERROR_NOROUTETOHOST);
  return true;
}

void Ipv6BlackholeRouting::PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit) const {
  std::ostream& os = *stream->GetStream();
  os << "Ipv6BlackholeRouting: " << blocked_.size() << " blocked, " << dropped_ << " dropped\n";
  for (const auto& [network, length] : blocked_) os << "  blackhole " << network << "/" << unsigned(length) << "\n";
}

void Ipv6BlackholeRouting::DoDispose() {
  ipv6_ = nullptr;
  ns3::Ipv6RoutingProtocol::DoDispose();
}

}  // namespace tether::sim
