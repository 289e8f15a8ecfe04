#pragma once
// What TunnelEndpoint keeps per peer beside the tunnel::Device's own state:
// the Endpoint as written, its DNS lookups, and whether its keepalive has
// started. Shared by tunnel_endpoint.cc and tunnel_reconfigure.cc.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "node/tunnel_endpoint.h"

namespace tether::node {

struct TunnelEndpoint::PeerState {
  crypto::PublicKey key{};
  std::string short_key;
  std::optional<tunnel::EndpointSpec> spec;
  bool by_name = false;
  // A named peer's keepalive starts once it has an address: switched on
  // then, it is due at once, so the tunnel comes up without waiting a
  // whole interval (and without a keepalive lost to "no endpoint" first).
  std::uint16_t persistent_keepalive = 0;
  bool keepalive_started = false;

  std::unique_ptr<DnsLookup> lookup;  // in flight
  Time retry_at = Time::never();
  Duration backoff;
  std::uint64_t lookups = 0;
  std::optional<WallTime> last_resolved;
  std::string last_error;
};

}  // namespace tether::node
