#include "sim/world/nat_routing.h"

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-route.h>
#include <ns3/ipv4-static-routing-helper.h>
#include <ns3/ipv4.h>

namespace tether::sim {

ns3::TypeId NatRouting::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::NatRouting")
                               .SetParent<ns3::Ipv4ListRouting>()
                               .SetGroupName("Tether")
                               .AddConstructor<NatRouting>();
  return tid;
}

void NatRouting::SetIpv4(ns3::Ptr<ns3::Ipv4> ipv4) {
  ipv4_ = ipv4;
  ns3::Ipv4ListRouting::SetIpv4(ipv4);
}

void NatRouting::DoDispose() {
  hook_ = nullptr;
  wrapped_ = UnicastForwardCallback();
  wrapped_for_ = UnicastForwardCallback();
  ipv4_ = nullptr;
  ns3::Ipv4ListRouting::DoDispose();
}

bool NatRouting::RouteInput(ns3::Ptr<const ns3::Packet> p, const ns3::Ipv4Header& header,
                            ns3::Ptr<const ns3::NetDevice> idev, UnicastForwardCallback ucb,
                            MulticastForwardCallback mcb, LocalDeliverCallback lcb, ErrorCallback ecb) {
  if (!hook_) return ns3::Ipv4ListRouting::RouteInput(p, header, idev, ucb, mcb, lcb, ecb);
  const auto iif = std::uint32_t(ipv4_->GetInterfaceForDevice(idev));
  const bool from_wan = hook_->is_wan(iif);
  if (from_wan || hook_->is_public_address(header.GetDestination())) {
    ns3::Ptr<const ns3::Packet> packet = p;
    ns3::Ipv4Header rewritten = header;
    switch (from_wan ? hook_->from_wan(packet, rewritten, iif) : hook_->hairpin(packet, rewritten, iif)) {
      case NatRoutingHook::Verdict::pass:
        return ns3::Ipv4ListRouting::RouteInput(p, header, idev, ucb, mcb, lcb, ecb);
      case NatRoutingHook::Verdict::consumed:
        return true;
      case NatRoutingHook::Verdict::translated:
        return ns3::Ipv4ListRouting::RouteInput(packet, rewritten, idev, ucb, mcb, lcb, ecb);
    }
  }
  return ns3::Ipv4ListRouting::RouteInput(p, header, idev, postrouting(ucb), mcb, lcb, ecb);
}

NatRouting::UnicastForwardCallback NatRouting::postrouting(const UnicastForwardCallback& ucb) {
  if (wrapped_.IsNull() || !wrapped_for_.IsEqual(ucb)) {
    wrapped_for_ = ucb;
    // A raw `this`: the callback is called, and dropped, within RouteInput.
    wrapped_ = UnicastForwardCallback(
        [this, ucb](ns3::Ptr<ns3::Ipv4Route> route, ns3::Ptr<const ns3::Packet> packet,
                    const ns3::Ipv4Header& header) { forward_from_lan(ucb, route, packet, header); });
  }
  return wrapped_;
}

void NatRouting::forward_from_lan(const UnicastForwardCallback& ucb, ns3::Ptr<ns3::Ipv4Route> route,
                                  ns3::Ptr<const ns3::Packet> packet, const ns3::Ipv4Header& header) {
  const std::int32_t oif = ipv4_ ? ipv4_->GetInterfaceForDevice(route->GetOutputDevice()) : -1;
  if (!hook_ || oif < 0 || !hook_->is_wan(std::uint32_t(oif))) {
    ucb(route, packet, header);
    return;
  }
  ns3::Ipv4Header rewritten = header;
  if (!hook_->to_wan(packet, rewritten, std::uint32_t(oif))) return;
  ucb(route, packet, rewritten);
}

NatRoutingHelper::NatRoutingHelper() { list_.emplace_back(new ns3::Ipv4StaticRoutingHelper(), 0); }

NatRoutingHelper::~NatRoutingHelper() {
  for (auto& [helper, priority] : list_) delete helper;
}

NatRoutingHelper::NatRoutingHelper(const NatRoutingHelper& other) : defaults_(other.defaults_) {
  for (const auto& [helper, priority] : other.list_) list_.emplace_back(helper->Copy(), priority);
}

NatRoutingHelper* NatRoutingHelper::Copy() const { return new NatRoutingHelper(*this); }

void NatRoutingHelper::Add(const ns3::Ipv4RoutingHelper& routing, std::int16_t priority) {
  if (defaults_) {
    for (auto& [helper, p] : list_) delete helper;
    list_.clear();
    defaults_ = false;
  }
  list_.emplace_back(routing.Copy(), priority);
}

ns3::Ptr<ns3::Ipv4RoutingProtocol> NatRoutingHelper::Create(ns3::Ptr<ns3::Node> node) const {
  auto routing = ns3::CreateObject<NatRouting>();
  for (const auto& [helper, priority] : list_) routing->AddRoutingProtocol(helper->Create(node), priority);
  return routing;
}

void install_nat_internet_stack(ns3::Ptr<ns3::Node> node) {
  ns3::InternetStackHelper stack;
  stack.SetRoutingHelper(NatRoutingHelper());
  stack.Install(node);
}

}  // namespace tether::sim
