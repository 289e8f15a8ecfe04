#include "support/manual_host_fixture.h"

#include "support/ipv4_icmp.h"

namespace tether::testing {

ManualHostFixture::ManualHostFixture() : host_(world_) {
  world_.set_latency(Duration::microseconds(50));
  TunnelDeviceConfig tunnel = tunnel_config();
  host_.set_tunnel_os([tunnel](ByteView packet, const std::function<void(ByteView)>& to_app) {
    auto echo = parse_icmp_echo(packet);
    if (!echo || !echo->is_request) return;
    for (const IpPrefix& mine : tunnel.addresses)
      if (mine.address() == echo->destination) to_app(ByteView(answer_icmp_echo(*echo)));
  });
}

}  // namespace tether::testing
