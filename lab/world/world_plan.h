#pragma once
// What the namespace world of a scenario is, before anything is made: its
// nodes (one network namespace each), its links (one veth pair each) and
// every address and route, numbered exactly as the simulation numbers its
// ns-3 world (sim/scenario_world_topology.cc, scenario_world_ipv6.cc), so a
// capture from either world shows the same addresses:
//
//   - each public host on its own /24, the internet router at x.y.z.1;
//     with `address6`, that /64 too, the router at ::1;
//   - each sender's hidden submission node on 10.255.N.0/24 (.1 the
//     submitter, .2 the sender), N counting senders from 1;
//   - the home on its /24 behind the gateway (x.y.z.1); the gateway's
//     uplink holds the ISP's address as a /32, the internet router's end
//     100.64.0.1/32 (4G: 100.64.1.1), and the router blackholes the pool's
//     other addresses (packets to them vanish, as at a real ISP);
//   - IPv6 with `isp.prefix_pool`: the delegated prefix's first /64 on the
//     LAN, ::1 the gateway's, the home's `interface_id` its own; the router
//     routes the prefix to the gateway and blackholes the pool's others.
//
// Link names are the simulation's capture names (`NAME`, `NAME-submission`,
// `lan`, `uplink`, `lte`); end 0 is the host's (or the gateway's) side, end
// 1 the other, as in `LINK-0.pcap`/`LINK-1.pcap`.

#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "scenario/scenario.h"

namespace tether::lab {

struct PlannedAddress {
  std::string interface;
  IpPrefix address;  // the address with its prefix length (not the network)
};

struct PlannedRoute {
  std::string destination;         // "default", or a prefix in text
  std::optional<IpAddress> via;    // none: on the device's link
  std::string device;              // empty for a blackhole
  bool blackhole = false;
  bool ipv6 = false;
  // `via` is not on any of the device's subnets (a PPP-like /32 line).
  bool onlink = false;
};

enum class NodeKind : std::uint8_t { host, submitter, internet, gateway };

struct PlannedNode {
  std::string name;       // the host's, "NAME-submission", "internet", "gateway"
  NodeKind kind = NodeKind::host;
  std::string ns;         // its network namespace: the run's prefix + name
  const scenario::HostSpec* host = nullptr;  // kind host only
  std::vector<PlannedAddress> addresses;
  std::vector<PlannedRoute> routes;
  bool forwards = false;  // a router: IPv4 and IPv6 forwarding on
};

struct PlannedLink {
  std::string name;       // the simulation's capture name
  std::string node[2];    // end 0: the host/gateway side
  std::string interface[2];
  // What the simulation shapes this link with (sim's default_link/link_config):
  // the scenario's entry, if any; the key is "lan", "uplink", "lte" or a
  // public host's name, and empty for a submission link (1Gbps, 100us).
  std::string shape_key;
  const scenario::LinkSpec* spec = nullptr;
};

struct WorldPlan {
  std::string prefix;
  std::vector<PlannedNode> nodes;
  std::vector<PlannedLink> links;
  std::optional<IpAddress> isp_address;       // the gateway's uplink, with a home
  std::optional<IpAddress> lte_address;       // with a 4G link
  std::optional<IpPrefix> delegated_prefix;   // with isp.prefix_pool and a home interface_id

  const PlannedNode* node(const std::string& name) const;
  const PlannedLink* link(const std::string& name) const;
  // The namespace of a node ("carinho", "gateway", ...); empty if none.
  std::string namespace_of(const std::string& node_name) const;
};

// `network`'s first /64 with the low 64 bits `interface_id` (x::/64 + id):
// the simulation's numbering of the LAN from a delegated prefix
// (sim/world/isp_prefix.cc, address_in with subnet 0).
IpAddress in_first_64(const IpAddress& network, std::uint64_t interface_id);

// `prefix` starts every namespace's name (world_names.h makes one per run).
Result<WorldPlan> plan_world(const scenario::Scenario& scenario, const std::string& prefix);

}  // namespace tether::lab
