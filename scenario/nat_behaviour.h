#pragma once
// What a home router's NAT does, in RFC 4787 (UDP), RFC 5382 (TCP) and
// RFC 5508 (ICMP) terms: the scenario's `nat:` section. Both worlds realise
// it: the ns-3 world's NAT model (sim/world/nat_mapping_table.h) and the
// namespace lab's nftables NAT, which refuses what Linux cannot do.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time.h"

namespace tether::scenario {

// RFC 4787 section 4.1 (mapping) and 5 (filtering) use the same three.
enum class NatBehaviour : std::uint8_t { endpoint_independent, address_dependent, address_and_port_dependent };
const char* to_string(NatBehaviour behaviour);
// "endpoint-independent", "address-dependent", "address-and-port-dependent".
std::optional<NatBehaviour> parse_nat_behaviour(std::string_view text);

struct NatTimeouts {
  // Common home routers; RFC 4787 REQ-5 asks for at least 2 min, which is
  // exactly what many routers do not give.
  Duration udp = Duration::seconds(30);
  // RFC 5382 REQ-5: established at least 2 h 4 min, transitory (partly
  // open or partly closed) at least 4 min.
  Duration tcp_established = Duration::seconds(7440);
  Duration tcp_transitory = Duration::seconds(240);
  // RFC 5508 REQ-1: ICMP query mappings at least 60 s.
  Duration icmp = Duration::seconds(60);
};

struct NatTableConfig {
  NatBehaviour mapping = NatBehaviour::endpoint_independent;
  NatBehaviour filtering = NatBehaviour::address_and_port_dependent;
  NatTimeouts timeouts;
  // RFC 4787 REQ-6: outbound packets always refresh; inbound ones only if
  // this is set.
  bool inbound_refresh = false;
  // Keep the internal port as the external one when it is free; otherwise
  // (and always, if unset) draw a random port in [port_min, port_max].
  bool port_preservation = true;
  std::uint16_t port_min = 1024;
  std::uint16_t port_max = 65535;
};

}  // namespace tether::scenario
