// IPv6 in the scenario world (isp.prefix_pool): each public host with an
// `address6` gets it on its link (a /64; the internet router takes ::1),
// and the home is numbered from the prefix its ISP delegates to the
// gateway (IspPrefix): the gateway's LAN side takes interface id ::1 of the
// first /64, the home its `interface_id` there. No NAT for IPv6: the
// gateway only routes. The prefix changes together with the IPv4 address
// (one reconnect), so `isp.change_every` and `isp-change` move both. Over
// the wired uplink only: the 4G uplink is IPv4.

#include <ns3/boolean.h>
#include <ns3/ipv6-static-routing-helper.h>
#include <ns3/ipv6.h>

#include "sim/host/ns3_address.h"
#include "sim/scenario_world.h"

namespace tether::sim {
namespace {

// x::y/64 -> x::1
IpAddress first_of_64(const IpAddress& a) {
  std::uint8_t bytes[16];
  std::copy(a.bytes(), a.bytes() + 8, bytes);
  std::fill(bytes + 8, bytes + 16, 0);
  bytes[15] = 1;
  return IpAddress::v6_bytes(bytes);
}

}  // namespace

Result<void> ScenarioWorld::build_ipv6() {
  auto router6 = internet_->GetObject<ns3::Ipv6>();
  if (!router6) return Error(ErrorCode::internal, "ipv6: the internet router has no IPv6 stack");
  router6->SetAttribute("IpForward", ns3::BooleanValue(true));
  std::size_t link_index = 0;
  for (auto& n : nodes_) {
    if (n->spec->role == HostRole::home) continue;
    const PointToPointLink& link = access_links_[link_index++];
    if (n->submitter) ++link_index;
    if (!n->spec->address6) continue;
    const IpAddress& address = *n->spec->address6;
    const IpAddress router = first_of_64(address);
    if (router == address) return Error(ErrorCode::invalid_argument, "hosts." + n->spec->name + ".address6: ::1 is the router's");
    const std::uint32_t host_if = ipv6_interface(n->node, link.device(0));
    const std::uint32_t router_if = ipv6_interface(internet_, link.device(1));
    n->node->GetObject<ns3::Ipv6>()->AddAddress(host_if, ns3::Ipv6InterfaceAddress(to_ns3_v6(address), ns3::Ipv6Prefix(64)));
    router6->AddAddress(router_if, ns3::Ipv6InterfaceAddress(to_ns3_v6(router), ns3::Ipv6Prefix(64)));
    ns3::Ipv6StaticRoutingHelper().GetStaticRouting(n->node->GetObject<ns3::Ipv6>())->SetDefaultRoute(to_ns3_v6(router), host_if);
    n->egress.push_back(address);
  }
  if (!home_ || !home_->spec->interface_id) return {};

  auto gateway6 = gateway_->GetObject<ns3::Ipv6>();
  if (!gateway6) return Error(ErrorCode::internal, "ipv6: the gateway has no IPv6 stack");
  gateway6->SetAttribute("IpForward", ns3::BooleanValue(true));
  const std::uint32_t wan = ipv6_interface(gateway_, uplink_.device(0));
  const std::uint32_t isp_if = ipv6_interface(internet_, uplink_.device(1));
  const std::uint32_t gateway_lan = ipv6_interface(gateway_, lan_.device(1));
  const std::uint32_t home_lan = ipv6_interface(home_->node, lan_.device(0));
  IspPrefixConfig config;
  config.pool = scenario_.isp.prefix_pool;
  config.seed = scenario_.seed;
  std::vector<PrefixSite> sites{PrefixSite{gateway_, gateway_lan, 0, 1, nullptr, 0},
                                PrefixSite{home_->node, home_lan, 0, *home_->spec->interface_id, gateway_, gateway_lan}};
  auto created = IspPrefix::create(PrefixLine{internet_, isp_if, gateway_, wan, true}, std::move(sites), config);
  if (!created.ok()) return Error(ErrorCode::internal, "isp prefix: " + created.error().to_string());
  prefix_ = std::move(*created);
  prefix_->add_change_handler([this](const IpPrefix& old_prefix, const IpPrefix& new_prefix) {
    note("isp-prefix", "uplink", old_prefix.to_string() + " -> " + new_prefix.to_string());
  });
  if (isp_line_) isp_line_->add_change_handler([this](ns3::Ipv4Address, ns3::Ipv4Address) { prefix_->change_prefix(); });
  return {};
}

}  // namespace tether::sim
