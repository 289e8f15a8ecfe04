// tetherd against wireguard-go, the reference userspace WireGuard: two
// namespaces on a veth pair, either side initiating (over IPv4 and over
// IPv6), ping and TCP (iperf3) through the tunnel both ways, and the tetherd
// side changing its outer address in the middle of a transfer.

#include <signal.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "interop/interop_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::interop;

namespace {

// home (tetherd) 198.18.0.1 / 2001:db8:1::1  <-veth->  relay (wireguard-go) 198.18.0.2 / 2001:db8:1::2
// Inside the tunnel: tetherd 192.0.2.1 / 2001:db8:77::1, wireguard-go 192.0.2.2 / 2001:db8:77::2.
struct Pair {
  TestDirectory dir{"tether-interop"};
  KeyPair tether_keys = KeyPair::generate();
  KeyPair wg_keys = KeyPair::generate();
  std::unique_ptr<lab::LabWorld> world = home_and_relay(true);
  std::string home = world->namespace_of("home"), relay = world->namespace_of("relay");
  // After the world: the processes end before its namespaces go.
  std::unique_ptr<WireguardGo> wg;
  std::unique_ptr<Tetherd> tetherd;

  // clang-format off
  // tetherd's config, with extra lines for [Interface] and [Peer].
  std::string tetherd_config(const std::string& interface_extra, const std::string& peer_extra) const {
    return "[Interface]\n"
           "PrivateKey = " + tether_keys.private_key + "\n"
           "Address = 192.0.2.1/24, 2001:db8:77::1/64\n" +
           interface_extra +
           "\n[Peer]\n"
           "PublicKey = " + wg_keys.public_key + "\n"
           "AllowedIPs = 192.0.2.2/32, 2001:db8:77::2/128\n" +
           peer_extra;
  }

  void start_wireguard_go(const std::string& peer_extra) {
    wg = std::make_unique<WireguardGo>(relay, dir);
    wg->configure("[Interface]\n"
                  "PrivateKey = " + wg_keys.private_key + "\n"
                  "ListenPort = 51820\n"
                  "\n[Peer]\n"
                  "PublicKey = " + tether_keys.public_key + "\n"
                  "AllowedIPs = 192.0.2.1/32, 2001:db8:77::1/128\n" +
                  peer_extra,
                  {"192.0.2.2/24", "2001:db8:77::2/64"});
  }
  // clang-format on

  std::string logs() {
    return "--- tetherd ---\n" + (tetherd ? tetherd->log() : "") + "--- wireguard-go ---\n" +
           (wg ? wg->log() : "");
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(wireguard_go_interop, *boost::unit_test::precondition(needs_wireguard_go))

BOOST_AUTO_TEST_CASE(tetherd_initiates_over_ipv4_ping_and_tcp_both_ways) {
  Pair p;
  p.start_wireguard_go("");  // no endpoint: it learns tetherd's from the handshake
  p.tetherd = std::make_unique<Tetherd>(p.home, p.dir, "tthome",
                                        p.tetherd_config("", "Endpoint = 198.18.0.2:51820\n"));

  // The first echo request waits in tetherd's queue for the handshake.
  ProcessResult pinged = ping(p.home, "192.0.2.2");
  BOOST_TEST_REQUIRE(pinged.exit_code == 0, pinged.describe() + p.logs());
  BOOST_TEST(contains(pinged.out, "3 received"), pinged.describe());
  ProcessResult pinged6 = ping(p.home, "2001:db8:77::2");
  BOOST_TEST(pinged6.exit_code == 0, pinged6.describe() + p.logs());

  BOOST_TEST(p.wg->latest_handshake(p.tether_keys.public_key) > 0);
  auto endpoint = p.wg->show("endpoints", p.tether_keys.public_key);
  BOOST_TEST_REQUIRE(endpoint.has_value());
  BOOST_TEST(endpoint->rfind("198.18.0.1:", 0) == 0, *endpoint);

  IperfServer server(p.relay, "192.0.2.2");
  ProcessResult up = iperf_client(p.home, "192.0.2.2", {"-n", "5M"});
  BOOST_TEST(up.exit_code == 0, up.describe() + server.log() + p.logs());
  BOOST_TEST(received_mbytes(up.out) >= 1.0, up.out);
  ProcessResult down = iperf_client(p.home, "192.0.2.2", {"-n", "5M", "-R"});
  BOOST_TEST(down.exit_code == 0, down.describe() + server.log() + p.logs());
  BOOST_TEST(received_mbytes(down.out) >= 1.0, down.out);
  BOOST_TEST(p.wg->received_from(p.tether_keys.public_key) > 1'000'000);

  ProcessResult shown = p.tetherd->show();
  BOOST_TEST(contains(shown.out, "endpoint: 198.18.0.2:51820\n"), shown.describe());
  BOOST_TEST(contains(shown.out, "latest handshake: "), shown.describe());
}

BOOST_AUTO_TEST_CASE(wireguard_go_initiates_over_ipv6_ping_and_tcp_both_ways) {
  Pair p;
  p.tetherd =
      std::make_unique<Tetherd>(p.home, p.dir, "tthome", p.tetherd_config("ListenPort = 51820\n", ""));
  p.start_wireguard_go("Endpoint = [2001:db8:1::1]:51820\n");

  ProcessResult pinged = ping(p.relay, "192.0.2.1");
  BOOST_TEST_REQUIRE(pinged.exit_code == 0, pinged.describe() + p.logs());
  BOOST_TEST(contains(pinged.out, "3 received"), pinged.describe());
  ProcessResult pinged6 = ping(p.relay, "2001:db8:77::1");
  BOOST_TEST(pinged6.exit_code == 0, pinged6.describe() + p.logs());

  BOOST_TEST(p.wg->latest_handshake(p.tether_keys.public_key) > 0);
  BOOST_TEST(p.wg->show("endpoints", p.tether_keys.public_key).value_or("") == "[2001:db8:1::1]:51820");
  // tetherd learnt wireguard-go's endpoint from the initiation.
  ProcessResult shown = p.tetherd->show();
  BOOST_TEST(contains(shown.out, "endpoint: [2001:db8:1::2]:51820\n"), shown.describe());

  IperfServer server(p.home, "192.0.2.1");
  ProcessResult up = iperf_client(p.relay, "192.0.2.1", {"-n", "5M"});
  BOOST_TEST(up.exit_code == 0, up.describe() + server.log() + p.logs());
  BOOST_TEST(received_mbytes(up.out) >= 1.0, up.out);
  ProcessResult down = iperf_client(p.relay, "192.0.2.1", {"-n", "5M", "-R"});
  BOOST_TEST(down.exit_code == 0, down.describe() + server.log() + p.logs());
  BOOST_TEST(received_mbytes(down.out) >= 1.0, down.out);
}

BOOST_AUTO_TEST_CASE(tetherd_changes_its_address_mid_transfer_and_traffic_resumes) {
  Pair p;
  p.start_wireguard_go("");
  p.tetherd = std::make_unique<Tetherd>(p.home, p.dir, "tthome",
                                        p.tetherd_config("", "Endpoint = 198.18.0.2:51820\n"));
  ProcessResult pinged = ping(p.home, "192.0.2.2", 1);
  BOOST_TEST_REQUIRE(pinged.exit_code == 0, pinged.describe() + p.logs());
  IperfServer server(p.relay, "192.0.2.2");

  auto spawned = ChildProcess::spawn({"ip", "netns", "exec", p.home, "iperf3", "-c", "192.0.2.2", "-t",
                                      "8", "-f", "m", "--forceflush"});
  BOOST_TEST_REQUIRE(spawned.ok());
  auto client = std::move(*spawned);
  BOOST_TEST_REQUIRE(client->wait_for_output(" 1.00-2.00 ", Duration::seconds(10)),
                     client->output() + p.logs());

  // The uplink's address changes under the running tetherd (a new DHCP
  // lease): its socket is bound to the wildcard address, so its next
  // datagrams leave from 198.18.0.3, and wireguard-go must follow them.
  const long long received_before = p.wg->received_from(p.tether_keys.public_key);
  ip({"-n", p.home, "addr", "del", "198.18.0.1/24", "dev", "vh"});
  ip({"-n", p.home, "addr", "add", "198.18.0.3/24", "dev", "vh"});

  BOOST_TEST_REQUIRE(client->wait_exit(Duration::seconds(20)), client->output() + p.logs());
  BOOST_TEST(*client->exit_code() == 0, client->output() + server.log() + p.logs());
  BOOST_TEST_MESSAGE(client->output());
  const long long received_after = p.wg->received_from(p.tether_keys.public_key);
  BOOST_TEST(received_after - received_before > 1'000'000, client->output() + p.logs());
  BOOST_TEST(p.wg->show("endpoints", p.tether_keys.public_key).value_or("").rfind("198.18.0.3:", 0) == 0u,
             p.wg->show("endpoints", p.tether_keys.public_key).value_or("(none)"));
  // And the other way: wireguard-go reaches tetherd at its new address.
  ProcessResult back = ping(p.relay, "192.0.2.1");
  BOOST_TEST(back.exit_code == 0, back.describe() + p.logs());
}

BOOST_AUTO_TEST_SUITE_END()
