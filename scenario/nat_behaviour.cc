#include "scenario/nat_behaviour.h"

namespace tether::scenario {

const char* to_string(NatBehaviour behaviour) {
  switch (behaviour) {
    case NatBehaviour::endpoint_independent: return "endpoint-independent";
    case NatBehaviour::address_dependent: return "address-dependent";
    case NatBehaviour::address_and_port_dependent: return "address-and-port-dependent";
  }
  return "?";
}

std::optional<NatBehaviour> parse_nat_behaviour(std::string_view text) {
  for (NatBehaviour b : {NatBehaviour::endpoint_independent, NatBehaviour::address_dependent,
                         NatBehaviour::address_and_port_dependent})
    if (text == to_string(b)) return b;
  return std::nullopt;
}

}  // namespace tether::scenario
