#pragma once
// One line of `conntrack -E` (conntrack-tools 1.4, default output), read
// into the NAT's events as the simulation reports them (sim/world/nat.h,
// scenario::NatObservation):
//
//     [NEW] udp      17 30 src=192.168.1.10 dst=203.0.113.10 sport=51820 dport=51820 [UNREPLIED]
//           src=203.0.113.10 dst=198.51.100.101 sport=51820 dport=51820
// [DESTROY] udp      17 src=... [USERSPACE] portid=... progname=conntrack
//
// The first tuple is the original direction, the second the reply's; a
// flow is a NAT mapping when its source was translated (the reply goes to
// another address than the original came from): internal = original
// source, external = the reply's destination. ICMP's port is its echo
// identifier (`id=`). A DESTROY marked [USERSPACE] was deleted by a tool
// (`conntrack -D/-F`: the lab's own flushes, reported where they are
// made); any other DESTROY is the kernel's: the flow expired.

#include <optional>
#include <string>
#include <string_view>

#include "core/endpoint.h"
#include "core/error.h"
#include "core/time.h"
#include "scenario/metrics.h"

namespace tether::lab {

struct ConntrackFlow {
  enum class Type : std::uint8_t { created, updated, destroyed, listed };
  Type type = Type::listed;
  std::string protocol;  // "udp", "tcp", "icmp", ...
  Endpoint original_source, original_destination, reply_source, reply_destination;
  bool by_userspace = false;  // DESTROY [USERSPACE]
  // Translated: a NAT mapping, not the gateway's own or its LAN's traffic.
  bool translated() const { return !(reply_destination.address() == original_source.address()); }
};

// One line of `conntrack -E` or `conntrack -L` (no event tag). Errors name
// what is wrong ("no reply tuple", "bad address 'x'").
Result<ConntrackFlow> parse_conntrack_line(std::string_view line);

// The simulation's event for a flow, if it is a NAT mapping: created (NEW),
// expired (the kernel's DESTROY); nothing for updates, for destroys by a
// tool and for flows the NAT did not translate.
std::optional<scenario::NatObservation> nat_observation(const ConntrackFlow& flow, Time at);
// A listed mapping flushed for `cause` ("flush", "address-change",
// "uplink-change": sim/world/nat.cc's names).
scenario::NatObservation flushed_observation(const ConntrackFlow& flow, Time at, const std::string& cause);

}  // namespace tether::lab
