#include "sim/blackhole_routing.h"

#include <ostream>

#include <ns3/ipv4-list-routing.h>
#include <ns3/ipv4.h>
#include <ns3/output-stream-wrapper.h>

namespace tether::sim {

ns3::TypeId BlackholeRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::BlackholeRouting")
                               .SetParent<ns3::Ipv4RoutingProtocol>()
                               .SetGroupName("Tether")
                               .AddConstructor<BlackholeRouting>();
  return tid;
}

ns3::Ptr<BlackholeRouting> BlackholeRouting::on(const ns3::Ptr<ns3::Node>& node) {
  auto ipv4 = node ? node->GetObject<ns3::Ipv4>() : nullptr;
  auto list = ipv4 ? ns3::DynamicCast<ns3::Ipv4ListRouting>(ipv4->GetRoutingProtocol()) : nullptr;
  if (!list) return nullptr;
  for (std::uint32_t i = 0; i < list->GetNRoutingProtocols(); ++i) {
    std::int16_t priority = 0;
    if (auto found = ns3::DynamicCast<BlackholeRouting>(list->GetRoutingProtocol(i, priority))) return found;
  }
  auto blackhole = ns3::CreateObject<BlackholeRouting>();
  // Above static (0) and global (-10) routing: a null route must win over
  // the default route that would otherwise match.
  list->AddRoutingProtocol(blackhole, 100);
  return blackhole;
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
