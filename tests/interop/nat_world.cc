#include "interop/nat_world.h"

namespace tether::testing::interop {

NatWorld::NatWorld(int persistent_keepalive, int conntrack_timeout,
                   const std::function<void(NatWorld&)>& before_home) {
  BOOST_TEST_REQUIRE(home.created());
  BOOST_TEST_REQUIRE(nat.created());
  BOOST_TEST_REQUIRE(relay.created());
  link_namespaces(home, "vh", {"198.18.10.2/24"}, nat, "vn0", {"198.18.10.1/24"});
  link_namespaces(nat, "vn1", {"198.18.20.1/24"}, relay, kRelayInterface, {"198.18.20.2/24"});
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
  const std::string t = std::to_string(conntrack_timeout);
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
  if (before_home) before_home(*this);
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

}  // namespace tether::testing::interop
