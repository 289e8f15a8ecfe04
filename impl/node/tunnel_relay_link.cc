#include "node/tunnel_relay_link.h"

#include <algorithm>

namespace tether::node {

bool RouteReturnedPolicy::route_up(const tunnel::Event& event) {
  if (!event.peer) return false;
  const auto known = std::find(disturbed_.begin(), disturbed_.end(), *event.peer);
  switch (event.kind) {
    case tunnel::EventKind::endpoint_changed:
    case tunnel::EventKind::session_expired:
    case tunnel::EventKind::handshake_given_up:
      if (known == disturbed_.end()) disturbed_.push_back(*event.peer);
      return false;
    case tunnel::EventKind::handshake_completed: {
      const bool disturbed = known != disturbed_.end();
      if (disturbed) disturbed_.erase(known);
      return disturbed || !event.rekey;
    }
    default:
      return false;
  }
}

TunnelRelayLink::TunnelRelayLink(Host& host, TunnelEndpoint& tunnel, MailRelay& relay,
                                 std::unique_ptr<RouteUpPolicy> policy, Observer on_route_up)
    : host_(host),
      tunnel_(tunnel),
      relay_(relay),
      policy_(std::move(policy)),
      on_route_up_(std::move(on_route_up)),
      self_(std::make_shared<TunnelRelayLink*>(this)) {
  subscription_ = tunnel_.subscribe([this](const tunnel::Event& event) { on_tunnel_event(event); });
}

TunnelRelayLink::~TunnelRelayLink() { tunnel_.unsubscribe(subscription_); }

void TunnelRelayLink::on_tunnel_event(const tunnel::Event& event) {
  // The policy sees every event, so that its state holds when the relay's
  // `queue route-up` is turned on again.
  if (!policy_->route_up(event) || !event.peer) return;
  if (!relay_.config().knobs.resolve().tunnel_route_up) return;
  // The peer's AllowedIPs as configured now (a reload may have changed them).
  std::vector<IpPrefix> allowed;
  for (const tunnel::PeerSection& peer : tunnel_.config().peers)
    if (peer.public_key == *event.peer) allowed = peer.allowed_ips;
  if (allowed.empty()) return;
  host_.post([weak = std::weak_ptr<TunnelRelayLink*>(self_), allowed] {
    auto self = weak.lock();
    if (!self) return;
    TunnelRelayLink& link = **self;
    const std::size_t due = link.relay_.route_up_within(allowed);
    if (link.on_route_up_) link.on_route_up_(due);
  });
}

}  // namespace tether::node
