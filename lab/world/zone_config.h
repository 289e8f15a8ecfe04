#pragma once
// The scenario's DNS zone as a dnsmasq configuration: the records the
// simulation's resolver answers from (sim/scenario_world_topology.cc,
// build_dns; sim/world/dns_zone.h), served on 127.0.0.1:53 inside each
// host's namespace, so lookups stay on that namespace's loopback (in the
// simulation they cross no link either) and never leave for the machine's
// resolver.
//
//   - A and AAAA: `host-record=NAME,ADDRESS,TTL`, one per record, in file
//     order. dnsmasq gives each address one PTR record, the first name
//     that leads to it: the simulation's rule.
//   - PTR for a host's own address no record names: `ptr-record` to its
//     hostname (not forward-confirmed, as in the simulation).
//   - MX: `mx-host=NAME,EXCHANGE,PREFERENCE`, in file order.
//   - Nothing else: `local=/#/` answers NXDOMAIN for every other name
//     (no upstream, no /etc/hosts).
// TTLs: A/AAAA keep their own; dnsmasq has no per-record TTL for MX and
// PTR, which get `local-ttl` 300 s (the simulation's default): a scenario
// MX with another `ttl` is served with 300 s.

#include <filesystem>
#include <string>

#include "scenario/scenario.h"

namespace tether::lab {

std::string dnsmasq_zone_config(const scenario::Scenario& scenario);

}  // namespace tether::lab
