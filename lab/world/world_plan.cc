#include "lab/world/world_plan.h"

#include <algorithm>

#include "lab/world/sim_draws.h"

namespace tether::lab {
namespace {

using scenario::HostRole;
using scenario::Scenario;

// x.y.z.w -> x.y.z.1 (sim/scenario_world_topology.cc: first_of_24)
IpAddress first_of_24(const IpAddress& a) {
  std::uint8_t b[4] = {a.bytes()[0], a.bytes()[1], a.bytes()[2], 1};
  return IpAddress::v4(std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3]);
}

// Linux interface names have 15 characters: the capture name when it fits.
std::string interface_name(const std::string& link, std::size_t index, int end) {
  const std::string wanted = link + "-" + std::to_string(end);
  if (wanted.size() <= 15) return wanted;
  return "link" + std::to_string(index) + "-" + std::to_string(end);
}

const scenario::LinkSpec* link_spec(const Scenario& s, const std::string& key) {
  // The same match as the simulation's link_config.
  for (const scenario::LinkSpec& l : s.links) {
    const bool match = (key == "uplink" && l.a == "gateway" && l.b == "internet" && !l.lte) || (key == "lte" && l.lte) ||
                       (key == "lan" && l.b == "gateway" && l.a != "internet") || (l.a == key && l.b == "internet");
    if (match) return &l;
  }
  return nullptr;
}

class Planner {
 public:
  Planner(const Scenario& s, const std::string& prefix) : s_(s) { plan_.prefix = prefix; }

  Result<WorldPlan> run() {
    // At most two nodes and two links per host, plus the routers and the
    // uplinks: references taken while planning stay valid.
    plan_.nodes.reserve(2 * s_.hosts.size() + 2);
    plan_.links.reserve(2 * s_.hosts.size() + 2);
    add_node("internet", NodeKind::internet, nullptr).forwards = true;
    const scenario::HostSpec* home = s_.first_with_role(HostRole::home);
    int submit_net = 0;
    for (const scenario::HostSpec& h : s_.hosts) {
      if (h.role == HostRole::home) continue;
      add_public_host(h);
      if (h.role == HostRole::sender) add_submitter(h, ++submit_net);
    }
    if (home) add_home(*home);
    return std::move(plan_);
  }

 private:
  PlannedNode& add_node(const std::string& name, NodeKind kind, const scenario::HostSpec* host) {
    PlannedNode n;
    n.name = name;
    n.kind = kind;
    n.ns = plan_.prefix + name;
    n.host = host;
    plan_.nodes.push_back(std::move(n));
    return plan_.nodes.back();
  }
  PlannedNode& node(const std::string& name) {
    return *std::find_if(plan_.nodes.begin(), plan_.nodes.end(), [&](const PlannedNode& n) { return n.name == name; });
  }
  PlannedLink& add_link(const std::string& name, const std::string& a, const std::string& b, const std::string& key) {
    PlannedLink l;
    l.name = name;
    l.node[0] = a;
    l.node[1] = b;
    for (int end = 0; end < 2; ++end) l.interface[end] = interface_name(name, plan_.links.size(), end);
    l.shape_key = key;
    if (!key.empty()) l.spec = link_spec(s_, key);
    plan_.links.push_back(l);
    return plan_.links.back();
  }
  static void address(PlannedNode& n, const std::string& interface, const IpAddress& a, int length) {
    n.addresses.push_back({interface, IpPrefix(a, length)});
  }

  void add_public_host(const scenario::HostSpec& h) {
    PlannedNode& host = add_node(h.name, NodeKind::host, &h);
    const PlannedLink l = add_link(h.name, h.name, "internet", h.name);
    const IpAddress router = first_of_24(h.address);
    address(host, l.interface[0], h.address, 24);
    host.routes.push_back({"default", router, l.interface[0]});
    PlannedNode& internet = node("internet");
    address(internet, l.interface[1], router, 24);
    if (!h.address6 || s_.isp.prefix_pool.empty()) return;
    const IpAddress router6 = in_first_64(*h.address6, 1);
    address(host, l.interface[0], *h.address6, 64);
    host.routes.push_back({"default", router6, l.interface[0], false, true});
    address(internet, l.interface[1], router6, 64);
  }

  void add_submitter(const scenario::HostSpec& h, int submit_net) {
    PlannedNode& submitter = add_node(h.name + "-submission", NodeKind::submitter, nullptr);
    const PlannedLink l = add_link(h.name + "-submission", submitter.name, h.name, "");
    const std::string base = "10.255." + std::to_string(submit_net) + ".";
    address(submitter, l.interface[0], *IpAddress::parse(base + "1"), 24);
    address(node(h.name), l.interface[1], *IpAddress::parse(base + "2"), 24);
  }

  void add_home(const scenario::HostSpec& h) {
    PlannedNode& home = add_node(h.name, NodeKind::host, &h);
    PlannedNode& gateway = add_node("gateway", NodeKind::gateway, nullptr);
    gateway.forwards = true;
    const PlannedLink lan = add_link("lan", h.name, "gateway", "lan");  // a copy: links grow
    const IpAddress lan_gateway = first_of_24(h.address);
    address(home, lan.interface[0], h.address, 24);
    address(gateway, lan.interface[1], lan_gateway, 24);
    home.routes.push_back({"default", lan_gateway, lan.interface[0]});
    add_uplink(false);
    const bool lte = std::any_of(s_.links.begin(), s_.links.end(), [](const scenario::LinkSpec& l) { return l.lte; });
    if (lte) add_uplink(true);
    if (!s_.isp.prefix_pool.empty() && h.interface_id) add_delegated_prefix(h, lan);
  }

  // The gateway's line to the ISP: its address a /32 from the pool, the
  // router's end a /32 too, so each side reaches the other "onlink".
  void add_uplink(bool lte) {
    const std::string name = lte ? "lte" : "uplink";
    const PlannedLink l = add_link(name, "gateway", "internet", name);
    const std::vector<IpAddress>& pool = lte ? s_.isp.lte_pool : s_.isp.pool;
    const IpAddress mine = first_isp_address(pool, s_.seed, simulated_gateway_node_id(s_));
    const IpAddress isp_end = *IpAddress::parse(lte ? "100.64.1.1" : "100.64.0.1");
    (lte ? plan_.lte_address : plan_.isp_address) = mine;
    PlannedNode& gateway = node("gateway");
    PlannedNode& internet = node("internet");
    address(gateway, l.interface[0], mine, 32);
    address(internet, l.interface[1], isp_end, 32);
    // The 4G line carries the default route only after a failover, which
    // the lab does not do yet (sim/world/uplink_failover.h).
    if (!lte) gateway.routes.push_back({"default", isp_end, l.interface[0], false, false, true});
    internet.routes.push_back({IpPrefix(mine, 32).to_string(), std::nullopt, l.interface[1]});
    for (const IpAddress& a : pool)
      if (!(a == mine)) internet.routes.push_back({IpPrefix(a, 32).to_string(), std::nullopt, "", true});
  }

  // The uplink's IPv6 next hops are fixed link-local addresses (fe80::1 the
  // router's, fe80::2 the gateway's): the simulation routes to the
  // gateway's link-local address, which in a veth would depend on its MAC.
  void add_delegated_prefix(const scenario::HostSpec& h, const PlannedLink& lan) {
    const IpPrefix delegated = first_delegated_prefix(s_.isp.prefix_pool, s_.seed, simulated_gateway_node_id(s_));
    plan_.delegated_prefix = delegated;
    const PlannedLink up = *plan_.link("uplink");
    PlannedNode& gateway = node("gateway");
    PlannedNode& internet = node("internet");
    PlannedNode& home = node(h.name);
    const IpAddress gateway_lan = in_first_64(delegated.address(), 1);
    address(gateway, lan.interface[1], gateway_lan, 64);
    address(home, lan.interface[0], in_first_64(delegated.address(), *h.interface_id), 64);
    home.routes.push_back({"default", gateway_lan, lan.interface[0], false, true});
    address(gateway, up.interface[0], *IpAddress::parse("fe80::2"), 64);
    address(internet, up.interface[1], *IpAddress::parse("fe80::1"), 64);
    gateway.routes.push_back({"default", *IpAddress::parse("fe80::1"), up.interface[0], false, true});
    internet.routes.push_back({delegated.to_string(), *IpAddress::parse("fe80::2"), up.interface[1], false, true});
    for (const IpPrefix& p : s_.isp.prefix_pool)
      if (!(p.network() == delegated)) internet.routes.push_back({p.network().to_string(), std::nullopt, "", true, true});
  }

  const Scenario& s_;
  WorldPlan plan_;
};

}  // namespace

// x::y/64 -> x::1 (sim/scenario_world_ipv6.cc: first_of_64), or x:: + id.
IpAddress in_first_64(const IpAddress& a, std::uint64_t interface_id) {
  std::uint8_t bytes[16];
  std::copy(a.bytes(), a.bytes() + 8, bytes);
  for (int i = 0; i < 8; ++i) bytes[8 + i] = std::uint8_t(interface_id >> (8 * (7 - i)));
  return IpAddress::v6_bytes(bytes);
}

const PlannedNode* WorldPlan::node(const std::string& name) const {
  for (const PlannedNode& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

const PlannedLink* WorldPlan::link(const std::string& name) const {
  for (const PlannedLink& l : links)
    if (l.name == name) return &l;
  return nullptr;
}

std::string WorldPlan::namespace_of(const std::string& node_name) const {
  const PlannedNode* n = node(node_name);
  return n ? n->ns : std::string();
}

Result<WorldPlan> plan_world(const Scenario& scenario, const std::string& prefix) {
  if (prefix.empty() || prefix.find('/') != std::string::npos)
    return Error(ErrorCode::invalid_argument, "lab: the namespace prefix '" + prefix + "' is not a file name");
  return Planner(scenario, prefix).run();
}

}  // namespace tether::lab
