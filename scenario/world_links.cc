#include "scenario/world_links.h"

namespace tether::scenario {

WorldLink default_world_link(const std::string& key) {
  WorldLink d;
  if (key == "lan") d.rate = "1Gbps", d.delay = Duration::milliseconds(1);
  if (key == "uplink") d.rate = "50Mbps", d.delay = Duration::milliseconds(10);
  if (key == "lte") {
    // A 4G uplink, from the seed's pings over 4G through the tunnel
    // (smtp-over-ipsec.txt, "Testing the tunnel"), home to VM and back:
    //   carinho -> vpn1: 270.8/283.2/312.6 ms min/avg/max, std-dev 17.3 ms;
    //   namorar -> vpn0: 250.5/259.9/284.2 ms, std-dev 14.1 ms.
    // Pooled, the 8 round trips average 271.6 ms. In the scenario world the
    // rest of that path (the LAN, 1 ms, and the VM's link, 5 ms, each way)
    // adds 12 ms, so 4G carries (271.6 - 12) / 2 = 130 ms each way. The
    // round trip's spread is two independent one-way draws: std-dev 17.3 ms
    // (the first ping's figure, the larger) needs 17.3 / sqrt(2) = 12 ms of
    // one-way jitter. In order, as one radio bearer delivers. 10 Mbit/s,
    // slower than the wired line.
    d.rate = "10Mbps", d.delay = Duration::milliseconds(130), d.jitter = Duration::milliseconds(12);
  }
  return d;
}

WorldLink world_link(const Scenario& scenario, const std::string& key) {
  WorldLink link = default_world_link(key);
  for (const LinkSpec& l : scenario.links) {
    const bool match = (key == "uplink" && l.a == "gateway" && l.b == "internet" && !l.lte) ||
                       (key == "lte" && l.lte) || (key == "lan" && l.b == "gateway" && l.a != "internet") ||
                       (l.a == key && l.b == "internet");
    if (!match) continue;
    if (l.rate) link.rate = *l.rate;
    if (l.delay) link.delay = *l.delay;
    if (l.jitter) link.jitter = *l.jitter;
    link.reorder = l.reorder;
    link.loss = l.loss;
    link.line = l.line;
    break;
  }
  return link;
}

}  // namespace tether::scenario
