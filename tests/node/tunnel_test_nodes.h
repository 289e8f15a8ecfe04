#pragma once
// What the TunnelEndpoint tests share: fixed WireGuard identities, the two
// wg-quick configs of the seed's set-up (a relay with a static address and
// a home host that dials it by name and keeps the tunnel open with
// PersistentKeepalive), and a "pinging OS" behind a tunnel device that
// answers ICMP echo requests for its own tunnel address and records
// replies, as a kernel and a ping process would.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "crypto/base64_key.h"
#include "crypto/x25519.h"
#include "node/tunnel_endpoint.h"
#include "support/ipv4_icmp.h"
#include "tunnel/tunnel_config.h"

namespace tether::testing {

struct WgIdentity {
  crypto::PrivateKey private_key;
  crypto::PublicKey public_key;
  std::string private_b64, public_b64;
};

inline WgIdentity wg_identity(std::uint8_t fill) {
  std::array<std::uint8_t, 32> random{};
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = std::uint8_t(fill + i * 7);
  WgIdentity id;
  id.private_key = crypto::private_key_from_random(random);
  id.public_key = crypto::derive_public_key(id.private_key);
  id.private_b64 = crypto::encode_base64_key(id.private_key);
  id.public_b64 = crypto::encode_base64_key(id.public_key);
  return id;
}

inline const WgIdentity& relay_identity() {
  static const WgIdentity id = wg_identity(0x11);
  return id;
}
inline const WgIdentity& home_identity() {
  static const WgIdentity id = wg_identity(0x55);
  return id;
}

inline const IpAddress kRelayInner = *IpAddress::parse("10.8.0.1");
inline const IpAddress kHomeInner = *IpAddress::parse("10.8.0.2");

// The relay: a fixed port, learns the home host's endpoint from its packets.
inline std::string relay_conf(const std::string& extra_interface_lines = "") {
  return "[Interface]\n"
         "PrivateKey = " + relay_identity().private_b64 + "\n"
         "ListenPort = 51820\n"
         "Address = 10.8.0.1/24\n" + extra_interface_lines +
         "\n[Peer]\n"
         "# home\n"
         "PublicKey = " + home_identity().public_b64 + "\n"
         "AllowedIPs = 10.8.0.2/32\n";
}

// The home host: dials the relay at `endpoint` (a name or an address).
inline std::string home_conf(const std::string& endpoint, int keepalive = 25,
                             const std::string& extra_interface_lines = "") {
  std::string text = "[Interface]\n"
                     "PrivateKey = " + home_identity().private_b64 + "\n"
                     "Address = 10.8.0.2/24\n" + extra_interface_lines +
                     "\n[Peer]\n"
                     "PublicKey = " + relay_identity().public_b64 + "\n"
                     "Endpoint = " + endpoint + "\n"
                     "AllowedIPs = 10.8.0.1/32\n";
  if (keepalive) text += "PersistentKeepalive = " + std::to_string(keepalive) + "\n";
  return text;
}

inline tunnel::TunnelConfig parse_conf(const std::string& text) {
  auto parsed = tunnel::parse_tunnel_config(text, "wg0.conf");
  BOOST_TEST_REQUIRE(parsed.ok(), parsed.error().to_string());
  return parsed.config;
}

// The OS and a ping process behind one tunnel device.
struct PingingOs {
  IpAddress own;
  std::function<void(ByteView)> inject;  // into the tunnel device, towards the app
  std::uint16_t next_sequence = 1;
  std::vector<IcmpEcho> requests_seen;  // requests that reached us (and were answered)
  std::vector<IcmpEcho> replies;        // answers to our pings
  std::vector<Time> reply_times;
  std::function<Time()> clock;

  // The device delivered `packet` to the OS.
  void deliver(ByteView packet) {
    auto echo = parse_icmp_echo(packet);
    if (!echo || echo->destination != own) return;
    if (echo->is_request) {
      requests_seen.push_back(*echo);
      inject(answer_icmp_echo(*echo));
    } else {
      replies.push_back(*echo);
      if (clock) reply_times.push_back(clock());
    }
  }

  void ping(const IpAddress& to) {
    IcmpEcho request;
    request.source = own;
    request.destination = to;
    request.identifier = 0x7e7e;
    request.sequence = next_sequence++;
    request.payload = Bytes(56, std::uint8_t(request.sequence));
    inject(build_icmp_echo(request));
  }

  bool answered(std::uint16_t sequence) const {
    return std::any_of(replies.begin(), replies.end(), [&](const IcmpEcho& e) { return e.sequence == sequence; });
  }
};

inline std::size_t count_events(const std::vector<tunnel::Event>& events, tunnel::EventKind kind) {
  return std::size_t(std::count_if(events.begin(), events.end(), [&](const tunnel::Event& e) { return e.kind == kind; }));
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace tether::testing
