#pragma once
// The seed's setup in miniature, for the NAT tests: tetherd at home behind
// an ISP's NAT (nftables masquerade in its own namespace, UDP conntrack
// timeouts set there), wireguard-go on the public relay, which has no
// endpoint for home and no route to home's network, so it can only answer
// through the mapping that home's packets keep open.
//
// home 198.18.10.2 --vh/vn0-- gateway 198.18.10.1 | 198.18.20.1 --vn1/vr-- relay 198.18.20.2
// (the lab's LabWorld from a hand-written plan, with lab::masquerade_nat)
// Inside the tunnel: home 192.0.2.1, relay 192.0.2.2.

#include <functional>
#include <memory>
#include <string>

#include "interop/interop_lab.h"

namespace tether::testing::interop {

struct NatWorld {
  TestDirectory dir{"tether-interop-nat"};
  KeyPair home_keys = KeyPair::generate();
  KeyPair relay_keys = KeyPair::generate();
  std::unique_ptr<lab::LabWorld> world;
  std::string home, relay;  // their namespaces
  std::unique_ptr<WireguardGo> wg;
  std::unique_ptr<Tetherd> tetherd;

  // Home's PersistentKeepalive (0: off) and the NAT's UDP conntrack
  // timeouts (unreplied and "stream"), in seconds. `before_home` runs once
  // the network and the relay are up, before tetherd starts (and may send
  // its first packets): where a test starts its captures.
  NatWorld(int persistent_keepalive, int conntrack_timeout,
           const std::function<void(NatWorld&)>& before_home = {});

  static constexpr const char* kNatOutside = "198.18.20.1";
  static constexpr const char* kRelayInterface = "vr";  // in `relay`

  std::string logs() { return "--- tetherd ---\n" + tetherd->log() + "--- wireguard-go ---\n" + wg->log(); }
};

}  // namespace tether::testing::interop
