#include "lab/world/hand_plan.h"

#include <algorithm>
#include <set>

namespace tether::lab {
namespace {

Result<IpPrefix> parse_address(const std::string& where, const std::string& text) {
  auto parsed = IpPrefix::parse(text);
  if (!parsed.ok())
    return Error(ErrorCode::invalid_argument, "lab: " + where + ": '" + text + "': " + parsed.error().message);
  return parsed;
}

}  // namespace

HandPlan& HandPlan::node(const std::string& name, bool router) {
  nodes_.emplace_back(name, router);
  return *this;
}

HandPlan& HandPlan::link(const std::string& name, const HandLinkEnd& a, const HandLinkEnd& b) {
  links_.push_back({name, {a, b}});
  return *this;
}

HandPlan& HandPlan::route(const std::string& node, const std::string& destination, const std::string& via) {
  routes_.push_back({node, destination, via});
  return *this;
}

HandPlan& HandPlan::nat(NatPlan nat) {
  nat_ = std::move(nat);
  return *this;
}

HandPlan& HandPlan::address_record(const std::string& name, const std::string& address) {
  scenario::DnsRecordSpec r;
  r.name = name;
  auto parsed = IpAddress::parse(address);
  if (!parsed.ok() && mistake_.empty()) mistake_ = "lab: record " + name + ": '" + address + "': " + parsed.error().message;
  if (parsed.ok()) r.address = *parsed;
  r.type = parsed.ok() && !parsed->is_v4() ? scenario::DnsRecordSpec::Type::aaaa : scenario::DnsRecordSpec::Type::a;
  dns_.push_back(std::move(r));
  return *this;
}

HandPlan& HandPlan::mx_record(const std::string& domain, const std::string& exchange, std::uint16_t preference) {
  scenario::DnsRecordSpec r;
  r.name = domain;
  r.type = scenario::DnsRecordSpec::Type::mx;
  r.exchange = exchange;
  r.preference = preference;
  dns_.push_back(std::move(r));
  return *this;
}

scenario::Scenario HandPlan::zone() const {
  scenario::Scenario s;
  s.name = "hand-written";
  s.source = "(hand-written world)";
  s.dns = dns_;
  return s;
}

Result<WorldPlan> HandPlan::plan(const std::string& prefix) const {
  if (!mistake_.empty()) return Error(ErrorCode::invalid_argument, mistake_);
  WorldPlan plan;
  plan.prefix = prefix;
  std::set<std::string> names;
  for (const auto& [name, router] : nodes_) {
    if (name.empty() || !names.insert(name).second)
      return Error(ErrorCode::invalid_argument, "lab: node '" + name + "': empty or named twice");
    PlannedNode n;
    n.name = name;
    n.ns = prefix + name;
    n.forwards = router;
    plan.nodes.push_back(std::move(n));
  }
  auto node = [&](const std::string& name) -> PlannedNode* {
    auto it = std::find_if(plan.nodes.begin(), plan.nodes.end(), [&](const PlannedNode& n) { return n.name == name; });
    return it == plan.nodes.end() ? nullptr : &*it;
  };
  for (const auto& [name, ends] : links_) {
    PlannedLink l;
    l.name = name;
    const HandLinkEnd* end[2] = {&ends.first, &ends.second};
    for (int i = 0; i < 2; ++i) {
      PlannedNode* n = node(end[i]->node);
      if (!n) return Error(ErrorCode::invalid_argument, "lab: link " + name + ": no node '" + end[i]->node + "'");
      if (end[i]->interface.empty() || end[i]->interface.size() > 15)
        return Error(ErrorCode::invalid_argument,
                     "lab: link " + name + ": interface '" + end[i]->interface + "' (1 to 15 characters)");
      l.node[i] = n->name;
      l.interface[i] = end[i]->interface;
      for (const std::string& text : end[i]->addresses) {
        auto address = parse_address("link " + name, text);
        if (!address.ok()) return address.error();
        n->addresses.push_back({l.interface[i], *address});
      }
    }
    plan.links.push_back(std::move(l));
  }
  for (const Route& r : routes_) {
    PlannedNode* n = node(r.node);
    if (!n) return Error(ErrorCode::invalid_argument, "lab: route: no node '" + r.node + "'");
    auto via = IpAddress::parse(r.via);
    if (!via.ok()) return Error(ErrorCode::invalid_argument, "lab: route of " + r.node + ": via '" + r.via + "'");
    PlannedRoute route;
    route.destination = r.destination;
    route.via = *via;
    route.ipv6 = !via->is_v4();
    n->routes.push_back(std::move(route));
  }
  if (nat_ && !node("gateway"))
    return Error(ErrorCode::invalid_argument, "lab: a NAT needs a node named 'gateway'");
  return plan;
}

NatPlan masquerade_nat(const std::string& uplink, int udp_timeout_seconds) {
  NatPlan nat;
  nat.table = "tether_hand_nat";
  nat.ruleset = "table ip tether_hand_nat {\n"
                "  chain postrouting {\n"
                "    type nat hook postrouting priority srcnat; policy accept;\n"
                "    oifname \"" + uplink + "\" masquerade\n"
                "  }\n"
                "}\n";
  const std::string t = std::to_string(udp_timeout_seconds);
  nat.sysctls = {{"net.netfilter.nf_conntrack_udp_timeout", t}, {"net.netfilter.nf_conntrack_udp_timeout_stream", t}};
  return nat;
}

}  // namespace tether::lab
