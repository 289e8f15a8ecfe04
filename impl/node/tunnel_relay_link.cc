#include "node/tunnel_relay_link.h"

namespace tether::node {

bool HandshakeRouteUp::route_up(const tunnel::Event& event) const {
  return event.kind == tunnel::EventKind::handshake_completed && event.peer.has_value();
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
  if (!event.peer || !policy_->route_up(event)) return;
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
