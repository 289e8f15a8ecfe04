// The seed's setup in miniature: tetherd at home behind an ISP's NAT
// (nftables masquerade whose UDP mappings expire after 5 s of silence),
// wireguard-go on the public relay, which has no endpoint for home and no
// route to home's network, so it can only answer through the mapping that
// home's packets keep open. After the first handshake and 30 s of silence
// the relay reaches home when home sends PersistentKeepalive (4 s), and
// cannot without it. Both worlds run side by side to halve the wait.

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "interop/interop_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::interop;

namespace {

constexpr int kConntrackTimeout = 5;  // seconds, UDP and UDP "stream"
constexpr int kSilence = 30;          // seconds

// home 198.18.10.2 --vh/vn0-- nat 198.18.10.1 | 198.18.20.1 --vn1/vr-- relay 198.18.20.2
// Inside the tunnel: home 192.0.2.1, relay 192.0.2.2.
struct NatWorld {
  TestDirectory dir{"tether-interop-nat"};
  KeyPair home_keys = KeyPair::generate();
  KeyPair relay_keys = KeyPair::generate();
  NamedNamespace home{"iop-home"}, nat{"iop-nat"}, relay{"iop-relay"};
  std::unique_ptr<WireguardGo> wg;
  std::unique_ptr<Tetherd> tetherd;

  explicit NatWorld(int persistent_keepalive) {
    BOOST_TEST_REQUIRE(home.created());
    BOOST_TEST_REQUIRE(nat.created());
    BOOST_TEST_REQUIRE(relay.created());
    link_namespaces(home, "vh", {"198.18.10.2/24"}, nat, "vn0", {"198.18.10.1/24"});
    link_namespaces(nat, "vn1", {"198.18.20.1/24"}, relay, "vr", {"198.18.20.2/24"});
    ip({"-n", home.name(), "route", "add", "default", "via", "198.18.10.1"});
    // The relay gets no route back to 198.18.10.0/24: only the NAT's
    // outside address is reachable from there, as on the internet.

    ProcessResult forward = run_in(nat, {"sysctl", "-w", "net.ipv4.ip_forward=1"});
    BOOST_TEST_REQUIRE(forward.exit_code == 0, forward.describe());
    write_file(dir / "nat.nft",
               "table ip tether_nat {\n"
               "  chain postrouting {\n"
               "    type nat hook postrouting priority srcnat; policy accept;\n"
               "    oifname \"vn1\" masquerade\n"
               "  }\n"
               "}\n");
    ProcessResult nft = run_in(nat, {"nft", "-f", (dir / "nat.nft").string()});
    BOOST_TEST_REQUIRE(nft.exit_code == 0, nft.describe());
    // Per namespace, and only once conntrack is in use here (the nat table).
    const std::string t = std::to_string(kConntrackTimeout);
    ProcessResult timeouts = run_in(nat, {"sysctl", "-w", "net.netfilter.nf_conntrack_udp_timeout=" + t,
                                          "net.netfilter.nf_conntrack_udp_timeout_stream=" + t});
    BOOST_TEST_REQUIRE(timeouts.exit_code == 0, timeouts.describe());
    ProcessResult check = run_in(nat, {"sysctl", "-n", "net.netfilter.nf_conntrack_udp_timeout_stream"});
    BOOST_TEST_REQUIRE(check.out == t + "\n", check.describe());

    // clang-format off
    wg = std::make_unique<WireguardGo>(relay, dir);
    wg->configure("[Interface]\n"
                  "PrivateKey = " + relay_keys.private_key + "\n"
                  "ListenPort = 51820\n"
                  "\n[Peer]\n"
                  "PublicKey = " + home_keys.public_key + "\n"
                  "AllowedIPs = 192.0.2.1/32\n",
                  {"192.0.2.2/24"});
    tetherd = std::make_unique<Tetherd>(home, dir, "tthome",
                                        "[Interface]\n"
                                        "PrivateKey = " + home_keys.private_key + "\n"
                                        "Address = 192.0.2.1/24\n"
                                        "\n[Peer]\n"
                                        "PublicKey = " + relay_keys.public_key + "\n"
                                        "Endpoint = 198.18.20.2:51820\n"
                                        "AllowedIPs = 192.0.2.2/32\n"
                                        "PersistentKeepalive = " + std::to_string(persistent_keepalive) + "\n");
    // clang-format on
  }

  std::string logs() { return "--- tetherd ---\n" + tetherd->log() + "--- wireguard-go ---\n" + wg->log(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(nat_interop, *boost::unit_test::precondition(needs_wireguard_go_and_nftables))

BOOST_AUTO_TEST_CASE(relay_reaches_home_after_silence_only_with_persistent_keepalive) {
  NatWorld with(4), without(0);

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
