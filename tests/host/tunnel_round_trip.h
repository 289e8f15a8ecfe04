#pragma once
// The Host conformance check for tunnel devices: an ICMP echo written into
// the device comes back answered by the host's stack. Shared by the template
// case over the unprivileged drivers (manual clock, ns-3) and the root-only
// case for Linux's TUN device.

#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>

#include "host/host_fixture.h"
#include "support/ipv4_icmp.h"
#include "support/test_skip.h"

namespace tether::testing {

inline Bytes pattern(std::size_t n) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = std::uint8_t(i * 7 + i / 251);
  return b;
}

inline void check_tunnel_device_round_trip(HostFixture& f) {
  if (auto reason = f.tunnel_unavailable_reason()) {
    skip(std::string("no tunnel device on ") + f.driver_name() + ": " + *reason);
    return;
  }
  TunnelDeviceConfig config = f.tunnel_config();
  auto device = f.host().open_tunnel(config);
  BOOST_TEST_REQUIRE(device.ok(), (device.ok() ? "" : device.error().to_string()));
  BOOST_TEST((*device)->name() == config.name);
  BOOST_TEST((*device)->mtu() == config.mtu);

  IcmpEcho request;
  request.source = *IpAddress::parse("198.18.0.2");
  request.destination = config.addresses.at(0).address();
  request.identifier = 0x7e7e;
  request.sequence = 1;
  request.payload = pattern(56);

  std::optional<IcmpEcho> reply;
  (*device)->set_packet_handler([&](ByteView packet) {
    auto echo = parse_icmp_echo(packet);
    if (echo && !echo->is_request && echo->identifier == request.identifier) reply = echo;
  });
  BOOST_TEST_REQUIRE((*device)->write_packet(build_icmp_echo(request)).ok());
  BOOST_TEST_REQUIRE(f.run_until([&] { return reply.has_value(); }, Duration::seconds(10)), f.driver_name());
  BOOST_TEST(reply->source == request.destination);
  BOOST_TEST(reply->destination == request.source);
  BOOST_TEST(reply->sequence == request.sequence);
  BOOST_TEST((reply->payload == request.payload));
}

}  // namespace tether::testing
