#pragma once
// A world with no scenario behind it, written by hand: for the interop
// tests (tests/interop, tests/pcap's peers) and any tool that needs a few
// namespaces joined by veths, with addresses, routes, maybe a NAT and a
// zone, made and removed exactly as a scenario's world is (LabWorld: the
// record, the clean-up on every way out, a resolv.conf per namespace). What
// a scenario decides for the lab (the simulation's numbering, the NAT's
// behaviours, the zone) the caller gives here directly:
//
//   auto world = LabWorld::build(HandPlan()
//       .node("home").node("relay")
//       .link("wire", {"home", "vh", {"198.18.0.1/24"}}, {"relay", "vr", {"198.18.0.2/24"}}));
//
// Nodes are all hosts (NodeKind::host); a `router` forwards IPv4 and IPv6.
// Interface names are the caller's (15 characters at most). A NAT is loaded
// in the node named "gateway", as in a scenario's world.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "lab/world/nat_plan.h"
#include "lab/world/world_plan.h"
#include "scenario/scenario.h"

namespace tether::lab {

struct HandLinkEnd {
  std::string node;
  std::string interface;
  std::vector<std::string> addresses;  // "198.18.0.1/24", "2001:db8:1::1/64"
};

class HandPlan {
 public:
  HandPlan& node(const std::string& name, bool router = false);
  HandPlan& link(const std::string& name, const HandLinkEnd& a, const HandLinkEnd& b);
  // `destination` "default" or a prefix; `via` an address on one of the
  // node's links.
  HandPlan& route(const std::string& node, const std::string& destination, const std::string& via);
  // The gateway's table and sysctls (conntrack timeouts), loaded in the
  // node "gateway" once the links are numbered.
  HandPlan& nat(NatPlan nat);
  // Records served by a dnsmasq on 127.0.0.1:53 in every node, as a
  // scenario's zone is (zone_config.h: an address's PTR is the first name
  // given for it; MX records in the order given); without any, no dnsmasq
  // runs and lookups fail at once (nothing listens on 127.0.0.1:53).
  HandPlan& address_record(const std::string& name, const std::string& address);
  HandPlan& mx_record(const std::string& domain, const std::string& exchange, std::uint16_t preference);

  // The plan with `prefix` on every namespace, or the first mistake
  // (a malformed address, an unknown node, a name used twice), named.
  // A malformed record address is the first mistake of all.
  Result<WorldPlan> plan(const std::string& prefix) const;
  const std::optional<NatPlan>& nat_plan() const { return nat_; }
  // A scenario holding only the zone, for the world to serve.
  scenario::Scenario zone() const;
  bool serves_dns() const { return !dns_.empty(); }

 private:
  struct Route {
    std::string node, destination, via;
  };
  std::vector<std::pair<std::string, bool>> nodes_;
  std::vector<std::pair<std::string, std::pair<HandLinkEnd, HandLinkEnd>>> links_;
  std::vector<Route> routes_;
  std::optional<NatPlan> nat_;
  std::vector<scenario::DnsRecordSpec> dns_;
  std::string mistake_;
};

// A masquerading NAT with nothing else: every flow leaving on `uplink` gets
// the gateway's address (Linux's masquerade, with its own replies, ICMP
// errors included, translated back: unlike a scenario's NAT, nat_plan.h),
// UDP flows forgotten after `udp_timeout_seconds` unreplied or replied.
NatPlan masquerade_nat(const std::string& uplink, int udp_timeout_seconds);

}  // namespace tether::lab
