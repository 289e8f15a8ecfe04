#pragma once
// The glue between a host's two apps, written once for every world
// (tetherd, the ns-3 world, the lab): when the tunnel reports that a peer's
// route is usable again, the relay retries at once the deferred mail it
// routes into that peer's AllowedIPs (MailRelay::route_up_within) instead of
// waiting out its backoff.
//
// When that counts as "usable again" is a policy (RouteUpPolicy), so that a
// host standing for another implementation can change it without touching
// either driver. Whether the relay has such a link at all is its resolved
// behaviour (smtpd.conf `queue route-up`, on in the tether profile and off
// in the others, which have no tunnel to hear from), read at each event so
// that a reconfigured relay is obeyed. The relay is told from the loop
// (Host::post), never from inside the tunnel's callback: the relay may
// start deliveries, and a subscriber must not re-enter the app that is
// calling it.

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "crypto/x25519.h"

#include "core/endpoint.h"
#include "host/host.h"
#include "node/mail_relay.h"
#include "node/tunnel_endpoint.h"
#include "tunnel/output.h"

namespace tether::node {

class RouteUpPolicy {
 public:
  virtual ~RouteUpPolicy() = default;
  // Sees every event of the tunnel, in order. True when `event` means that
  // the relay's mail into the event's peer may go now.
  virtual bool route_up(const tunnel::Event& event) = 0;
};

// tetherd's behaviour: the route came back. That is the first completed
// handshake with a peer after it had no usable session (the first one, or
// one whose keys were too old or erased: the event is no rekey), or after
// the peer's endpoint changed, its session expired or a handshake with it
// was given up. A rekey of a working session (every two minutes while
// traffic flows) is not: the relay's deferred mail then waits for its own
// `queue retry` schedule.
class RouteReturnedPolicy : public RouteUpPolicy {
 public:
  bool route_up(const tunnel::Event& event) override;

 private:
  // Peers with an endpoint change, expiry or given-up handshake since their
  // last completed handshake.
  std::vector<crypto::PublicKey> disturbed_;
};

class TunnelRelayLink {
 public:
  // Told how many deferred envelopes each route-up made due (for a log).
  using Observer = std::function<void(std::size_t due)>;

  // `tunnel` and `relay` must outlive the link; destroy it first.
  TunnelRelayLink(Host& host, TunnelEndpoint& tunnel, MailRelay& relay,
                  std::unique_ptr<RouteUpPolicy> policy = std::make_unique<RouteReturnedPolicy>(),
                  Observer on_route_up = {});
  ~TunnelRelayLink();
  TunnelRelayLink(const TunnelRelayLink&) = delete;
  TunnelRelayLink& operator=(const TunnelRelayLink&) = delete;

 private:
  void on_tunnel_event(const tunnel::Event& event);

  Host& host_;
  TunnelEndpoint& tunnel_;
  MailRelay& relay_;
  std::unique_ptr<RouteUpPolicy> policy_;
  Observer on_route_up_;
  TunnelEndpoint::SubscriptionId subscription_;
  // Gone with the link: a route-up posted before it was destroyed is dropped.
  std::shared_ptr<TunnelRelayLink*> self_;
};

}  // namespace tether::node
