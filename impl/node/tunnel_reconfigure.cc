// TunnelEndpoint::reconfigure: an edited wg0.conf applied to a running
// interface, with `wg syncconf` semantics. A user who changes a peer's
// PersistentKeepalive or AllowedIPs and runs `wg syncconf wg0 <(wg-quick
// strip wg0)` keeps the session that is up; only what changed is touched.
//
// What tether does beyond `wg syncconf`, and where it differs:
//   - routes for AllowedIPs that are new are added (the user would run
//     `ip route add`); routes for prefixes no longer allowed stay until the
//     interface restarts (the Host interface has no route removal). The
//     device drops packets to them: no peer has them any more.
//   - an Endpoint is set only when the file's line changed, so a peer that
//     roamed (the home behind NAT) is not pulled back to a stale address;
//     an Endpoint line removed leaves the current endpoint, as wg cannot
//     unset one.
//   - a changed PresharedKey re-adds the peer, so its session starts over
//     (wg would keep the session and use the key from the next handshake).

#include <algorithm>

#include "node/tunnel_endpoint.h"
#include "node/tunnel_peer_state.h"

namespace tether::node {

namespace {

// What wg syncconf cannot change under a running interface (wg-quick strip
// removes Address, MTU and the rest; PrivateKey and ListenPort would rebind).
bool same_interface(const tunnel::InterfaceSection& a, const tunnel::InterfaceSection& b) {
  return a.private_key == b.private_key && a.listen_port == b.listen_port && a.addresses == b.addresses &&
         a.mtu == b.mtu && a.allow_inner == b.allow_inner;
}

const tunnel::PeerSection* find_section(const tunnel::TunnelConfig& config, const crypto::PublicKey& key) {
  for (const tunnel::PeerSection& peer : config.peers)
    if (peer.public_key == key) return &peer;
  return nullptr;
}

bool same_endpoint(const std::optional<tunnel::EndpointSpec>& a, const std::optional<tunnel::EndpointSpec>& b) {
  return a.has_value() == b.has_value() && (!a || *a == *b);
}

std::vector<IpPrefix> routed_networks(const tunnel::TunnelConfig& config) {
  std::vector<IpPrefix> routed;
  for (const tunnel::PeerSection& peer : config.peers)
    for (const IpPrefix& allowed : peer.allowed_ips) {
      const IpPrefix network = allowed.network();
      if (network.length() != 0 && std::find(routed.begin(), routed.end(), network) == routed.end())
        routed.push_back(network);
    }
  return routed;
}

}  // namespace

Result<void> TunnelEndpoint::reconfigure(tunnel::TunnelConfig config) {
  if (!running()) {
    config_ = std::move(config);
    return {};
  }
  if (!config.interface.private_key) return Error(ErrorCode::invalid_argument, "[Interface] has no PrivateKey");
  if (!same_interface(config_.interface, config.interface)) return restart_with(std::move(config));

  const Time now = host_.now();
  const tunnel::TunnelConfig old = std::move(config_);
  config_ = std::move(config);
  std::size_t removed = 0, added = 0, changed = 0;
  Result<void> outcome;

  for (auto it = peers_.begin(); it != peers_.end();) {
    if (find_section(config_, (*it)->key)) {
      ++it;
      continue;
    }
    log_.info("peer " + (*it)->short_key + ": removed");
    device_->remove_peer((*it)->key);
    it = peers_.erase(it);  // cancels its lookup
    ++removed;
  }

  for (const tunnel::PeerSection& section : config_.peers) {
    const tunnel::PeerSection* was = find_section(old, section.public_key);
    PeerState* state = peer_state(section.public_key);
    const bool rekeyed = was && state && was->preshared_key != section.preshared_key;
    if (rekeyed) {
      // The key is mixed into every handshake; the peer starts over with it.
      device_->remove_peer(section.public_key);
      peers_.erase(std::find_if(peers_.begin(), peers_.end(), [&](const auto& p) { return p.get() == state; }));
      state = nullptr;
    }
    if (!was || !state) {
      const std::size_t count_before = peers_.size();
      if (auto r = add_peer(section, now); !r) {
        log_.warning(r.error().message);
        if (outcome) outcome = r;
        continue;
      }
      if (peers_.size() == count_before) continue;  // our own key, ignored
      ++(rekeyed ? changed : added);
      PeerState& fresh = *peers_.back();
      if (fresh.by_name) resolve(fresh, "reconfigured");
      continue;
    }
    if (sync_peer(*state, *was, section, now)) ++changed;
  }

  const std::vector<IpPrefix> before = routed_networks(old);
  for (const IpPrefix& network : routed_networks(config_)) {
    if (std::find(before.begin(), before.end(), network) != before.end()) continue;
    if (auto r = tun_->add_route(network); !r) {
      log_.warning("AllowedIPs " + network.to_string() + ": cannot add a route: " + r.error().message);
      if (outcome) outcome = r;
    }
  }

  log_.info("reconfigured: " + std::to_string(added) + " added, " + std::to_string(removed) + " removed, " +
            std::to_string(changed) + " changed");
  rearm();
  return outcome;
}

bool TunnelEndpoint::sync_peer(PeerState& state, const tunnel::PeerSection& was, const tunnel::PeerSection& section,
                               Time now) {
  bool changed = false;
  if (was.allowed_ips != section.allowed_ips) {
    device_->set_allowed_ips(state.key, section.allowed_ips);
    changed = true;
  }
  if (!same_endpoint(was.endpoint, section.endpoint) && section.endpoint) {
    state.spec = section.endpoint;
    state.by_name = !section.endpoint->address;
    state.lookup.reset();  // an answer for the old name must not land
    state.retry_at = Time::never();
    state.backoff = options_.resolve_retry_initial;
    if (section.endpoint->address)
      device_->set_peer_endpoint(state.key, Endpoint(*section.endpoint->address, section.endpoint->port));
    else
      resolve(state, "reconfigured");
    changed = true;
  }
  if (was.persistent_keepalive != section.persistent_keepalive) {
    state.persistent_keepalive = section.persistent_keepalive;
    // A named peer still waiting for its first address starts it then.
    if (state.keepalive_started) device_->set_persistent_keepalive(state.key, section.persistent_keepalive, now);
    changed = true;
  }
  if (changed) log_.info("peer " + state.short_key + ": reconfigured");
  return changed;
}

Result<void> TunnelEndpoint::restart_with(tunnel::TunnelConfig config) {
  log_.info("[Interface] changed: restarting the interface");
  tunnel::TunnelConfig old = std::move(config_);
  stop();
  config_ = std::move(config);
  Result<void> started = start();
  if (started) return {};
  log_.warning("the new config does not start (" + started.error().message + "); back to the old one");
  config_ = std::move(old);
  if (auto back = start(); !back) log_.error("the old config does not start either: " + back.error().message);
  return started;
}

}  // namespace tether::node
