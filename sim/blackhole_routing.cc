#include "sim/blackhole_routing.h"

#include <ostream>

#include <ns3/ipv4-list-routing.h>
#include <ns3/ipv4.h>
#include <ns3/output-stream-wrapper.h>

#include "sim/list_routing_slot.h"

namespace tether::sim {

ns3::TypeId BlackholeRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::BlackholeRouting")
                               .SetParent<ns3::Ipv4RoutingProtocol>()
                               .SetGroupName("Tether")
                               .AddConstructor<BlackholeRouting>();
  return tid;
}

ns3::Ptr<BlackholeRouting> BlackholeRouting::on(const ns3::Ptr<ns3::Node>& node) {
  // Above static (0) and global (-10) routing: a null route must win over
  // the default route that would otherwise match.
  return list_routing_slot<BlackholeRouting, ns3::Ipv4ListRouting, ns3::Ipv4>(node, 100);
}

ns3::Ptr<ns3::Ipv4Route> BlackholeRouting::RouteOutput(ns3::Ptr<ns3::Packet>, const ns3::Ipv4Header&,
                                                       ns3::Ptr<ns3::NetDevice>, ns3::Socket::SocketErrno& sockerr) {
  // The router's own traffic is left to the other protocols.
  sockerr = ns3::Socket::ERROR_NOROUTETOHOST;
  return nullptr;
}

bool BlackholeRouting::RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                                  ns3::Ptr<const ns3::NetDevice>, UnicastForwardCallback, MulticastForwardCallback,
                                  LocalDeliverCallback, ErrorCallback ecb) {
  if (!blocks(header.GetDestination())) return false;
  ++dropped_;
  if (!ecb.IsNull()) ecb(p, header, ns3::Socket::ERROR_NOROUTETOHOST);
  return true;
}

void BlackholeRouting::PrintRoutingTable(ns3::Ptr<ns3::OutputStreamWrapper> stream, ns3::Time::Unit) const {
  std::ostream& os = *stream->GetStream();
  os << "BlackholeRouting: " << blocked_.size() << " blocked, " << dropped_ << " dropped\n";
  for (const auto& address : blocked_) os << "  blackhole " << address << "\n";
}

void BlackholeRouting::DoDispose() {
  ipv4_ = nullptr;
  ns3::Ipv4RoutingProtocol::DoDispose();
}

}  // namespace tether::sim
