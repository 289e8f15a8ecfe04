#pragma once
// The gateway's NAT on Linux: the scenario's `nat:` section (RFC 4787/5382
// behaviours, scenario/nat_behaviour.h) as an nftables table and the
// conntrack sysctls of the gateway's namespace, or a refusal naming each
// field Linux cannot realise. The lab never runs a NAT other than the one
// asked for.
//
// What Linux's conntrack NAT does (net/netfilter/nf_nat_core.c,
// get_unique_tuple; nf_conntrack_proto_udp.c, nf_conntrack_udp_packet):
//   - mapping: `masquerade` keeps a flow's source port whenever the
//     translated tuple is unique, so every flow from one internal endpoint
//     leaves with the same port: endpoint-independent mapping with port
//     preservation (for one host behind the NAT, which is the scenarios'
//     shape). `masquerade fully-random` draws a port per flow:
//     address-and-port-dependent mapping without port preservation. There
//     is no address-dependent mapping, no endpoint-independent mapping
//     with random ports, and no dependent mapping that keeps the first
//     port: refused (`nat.mapping`, `nat.port_preservation`).
//   - filtering: only replies to a tracked flow come in, i.e.
//     address-and-port-dependent filtering; endpoint-independent and
//     address-dependent filtering ("full cone") are not in mainline Linux:
//     refused (`nat.filtering`).
//   - refresh: conntrack refreshes a flow's timeout on every packet, either
//     way; a NAT whose inbound packets do not refresh (`inbound_refresh:
//     false`, RFC 4787 REQ-6's minimum and the schema's default) cannot be
//     made: refused (`nat.inbound_refresh`), so a lab scenario says `true`.
//   - timeouts: whole seconds, per namespace. UDP's one timeout is both of
//     conntrack's (unreplied and stream), TCP's established one is
//     established, its transitory one every other state, ICMP's the ICMP
//     one.
// Like the simulated NAT (sim/world/nat.h), the gateway drops silently
// what comes in on an uplink without a flow (forward and input; pings to
// its own address are answered), drops the ICMP errors conntrack would
// relate to a flow (the simulated NAT does not translate them: a port
// unreachable from the internet never reaches the home), and leaves IPv6
// alone (a routed prefix).

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "scenario/scenario.h"

namespace tether::lab {

struct NatPlan {
  std::string table;                 // the nftables table's name (family ip)
  std::string ruleset;               // what `nft -f FILE` loads in the gateway's namespace
  std::vector<std::pair<std::string, std::string>> sysctls;  // key, value
};

// Every refusal is one line, "FILE:LINE: nat.FIELD: why" where the file
// gives the field, "FILE: nat.FIELD (the default): why" where it does not,
// and "FILE: nat.FIELD (--set): why" where an override changed it.
// `uplinks` are the gateway's uplink interfaces.
Result<NatPlan> plan_nat(const scenario::Scenario& scenario, const std::vector<std::string>& uplinks);

}  // namespace tether::lab
