// The seed's setup in miniature: tetherd at home behind an ISP's NAT
// (nftables masquerade whose UDP mappings expire after 5 s of silence),
// wireguard-go on the public relay, which has no endpoint for home and no
// route to home's network, so it can only answer through the mapping that
// home's packets keep open. After the first handshake and 30 s of silence
// the relay reaches home when home sends PersistentKeepalive (4 s), and
// cannot without it. Both worlds run side by side to halve the wait.

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "interop/nat_world.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::interop;

namespace {

constexpr int kConntrackTimeout = 5;  // seconds, UDP and UDP "stream"
constexpr int kSilence = 30;          // seconds

}  // namespace

BOOST_AUTO_TEST_SUITE(nat_interop, *boost::unit_test::precondition(needs_wireguard_go_and_nftables))

BOOST_AUTO_TEST_CASE(relay_reaches_home_after_silence_only_with_persistent_keepalive) {
  NatWorld with(4, kConntrackTimeout), without(0, kConntrackTimeout);

  // Home dials out: the handshake opens the mapping, and the relay can
  // answer through it while it is fresh, in both worlds.
  for (NatWorld* w : {&with, &without}) {
    ProcessResult out = ping(w->home, "192.0.2.2", 1);
    BOOST_TEST_REQUIRE(out.exit_code == 0, out.describe() + w->logs());
    BOOST_TEST_REQUIRE(w->wg->latest_handshake(w->home_keys.public_key) > 0);
    auto endpoint = w->wg->show("endpoints", w->home_keys.public_key);
    BOOST_TEST(endpoint.value_or("").rfind("198.18.20.1:", 0) == 0u, endpoint.value_or("(none)"));  // NATed
    ProcessResult back = ping(w->relay, "192.0.2.1", 1);
    BOOST_TEST_REQUIRE(back.exit_code == 0, back.describe() + w->logs());
  }

  // Nothing but what the tunnel sends by itself: a passive keepalive from
  // home 10 s after the relay's last data, then, without PersistentKeepalive,
  // nothing, so the mapping is gone 5 s later; with it, a keepalive every 4 s.
  ::sleep(kSilence);

  ProcessResult kept = ping(with.relay, "192.0.2.1");
  BOOST_TEST(kept.exit_code == 0, kept.describe() + with.logs());
  ProcessResult lost = ping(without.relay, "192.0.2.1");
  BOOST_TEST(lost.exit_code != 0, lost.describe() + without.logs());
  BOOST_TEST(contains(lost.out, "0 received"), lost.describe());
}

BOOST_AUTO_TEST_SUITE_END()
