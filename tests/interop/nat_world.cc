#include "interop/nat_world.h"

namespace tether::testing::interop {

NatWorld::NatWorld(int persistent_keepalive, int conntrack_timeout,
                   const std::function<void(NatWorld&)>& before_home) {
  // The relay gets no route back to 198.18.10.0/24: only the NAT's
  // outside address is reachable from there, as on the internet.
  world = build_world(lab::HandPlan()
                          .node("home")
                          .node("gateway", true)
                          .node("relay")
                          .link("lan", {"home", "vh", {"198.18.10.2/24"}}, {"gateway", "vn0", {"198.18.10.1/24"}})
                          .link("wan", {"gateway", "vn1", {"198.18.20.1/24"}}, {"relay", kRelayInterface, {"198.18.20.2/24"}})
                          .route("home", "default", "198.18.10.1")
                          .nat(lab::masquerade_nat("vn1", conntrack_timeout)));
  home = world->namespace_of("home");
  relay = world->namespace_of("relay");

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
