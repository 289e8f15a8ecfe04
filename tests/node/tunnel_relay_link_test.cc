// The route-up policy of the tunnel-to-relay link: the route coming back
// (a first session, one after the keys aged out or were erased, or after
// the peer moved) retries the relay's mail; a rekey of a working session
// does not.

#include <boost/test/unit_test.hpp>

#include "node/tunnel_relay_link.h"

using namespace tether;
using namespace tether::node;
using tether::tunnel::Event;
using tether::tunnel::EventKind;

namespace {

crypto::PublicKey key(std::uint8_t n) {
  crypto::PublicKey k{};
  k[0] = n;
  return k;
}

Event event(EventKind kind, std::uint8_t peer, bool rekey = false) {
  Event e;
  e.kind = kind;
  e.peer = key(peer);
  e.rekey = rekey;
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(route_returned_policy)

BOOST_AUTO_TEST_CASE(a_new_session_is_the_route_coming_back_and_a_rekey_is_not) {
  RouteReturnedPolicy policy;
  BOOST_TEST(policy.route_up(event(EventKind::handshake_completed, 1, false)));
  for (int i = 0; i < 30; ++i)  // an hour of rekeys every two minutes
    BOOST_TEST(!policy.route_up(event(EventKind::handshake_completed, 1, true)));
  // The keys aged out (no rekey flag): back.
  BOOST_TEST(policy.route_up(event(EventKind::handshake_completed, 1, false)));
  // Other events never are.
  for (EventKind k : {EventKind::handshake_sent, EventKind::handshake_responded, EventKind::keepalive_sent,
                      EventKind::packet_dropped})
    BOOST_TEST(!policy.route_up(event(k, 1)));
}

BOOST_AUTO_TEST_CASE(after_an_endpoint_change_expiry_or_give_up_the_next_handshake_counts_even_as_a_rekey) {
  for (EventKind disturbance : {EventKind::endpoint_changed, EventKind::session_expired, EventKind::handshake_given_up}) {
    RouteReturnedPolicy policy;
    BOOST_TEST(policy.route_up(event(EventKind::handshake_completed, 1)));
    BOOST_TEST(!policy.route_up(event(disturbance, 1)));
    BOOST_TEST(!policy.route_up(event(disturbance, 1)));
    // Another peer's handshake is not this one's.
    BOOST_TEST(!policy.route_up(event(EventKind::handshake_completed, 2, true)));
    BOOST_TEST(policy.route_up(event(EventKind::handshake_completed, 1, true)));
    // Once only.
    BOOST_TEST(!policy.route_up(event(EventKind::handshake_completed, 1, true)));
  }
}

BOOST_AUTO_TEST_CASE(an_event_without_a_peer_is_never_a_route) {
  RouteReturnedPolicy policy;
  Event e;
  e.kind = EventKind::handshake_completed;
  BOOST_TEST(!policy.route_up(e));
}

BOOST_AUTO_TEST_SUITE_END()
