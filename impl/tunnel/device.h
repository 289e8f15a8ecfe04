#pragma once
// A WireGuard interface, sans-IO (docs/ARCHITECTURE.md; the shape of boringtun's
// Tunn::encapsulate/decapsulate/update_timers, for a whole device): it
// takes "a UDP datagram arrived", "the TUN device produced an IP packet"
// and "a deadline passed", each with the time, and returns in an Output the
// datagrams to send, the inner packets to deliver and what happened. It
// reads no clock, opens no socket and draws randomness only from the
// RandomSource it was given; next_deadline() says when to call it again.
//
// What is here and not in the peer: the local static key; the peers by
// public key; the receiver-index table; cryptokey routing (outgoing: the
// inner destination picks the peer by longest prefix; incoming: the inner
// source must be in the AllowedIPs of the peer whose keys decrypted it);
// the CookieChecker with its under-load judgement (LoadDetector: handshake
// messages per second) and the per-source rate limit under load; the inner
// packets' validation, padding trim and the optional inner allow-list; and
// the counters of dropped packets by reason.
//
// Usage (the node app on a Host, or a test loop):
//   Device dev(private_key, random, options);
//   dev.add_peer(config, now);                   // persistent keepalive due at once
//   dev.handle_datagram(from, bytes, now, wall, out);   // UDP socket readable
//   dev.handle_tun_packet(packet, now, wall, out);      // TUN readable
//   dev.handle_deadline(now, wall, out);                // at dev.next_deadline()
// after each, send out.datagrams, write out.packets to the TUN, log
// out.events, append out.key_log, and out.clear().

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/error.h"
#include "core/time.h"
#include "crypto/x25519.h"
#include "tunnel/allowed_ips.h"
#include "tunnel/cookie.h"
#include "tunnel/handshake.h"
#include "tunnel/index_table.h"
#include "tunnel/inner_filter.h"
#include "tunnel/load_detector.h"
#include "tunnel/output.h"
#include "tunnel/peer.h"
#include "tunnel/random_source.h"
#include "tunnel/ratelimiter.h"
#include "tunnel/timer_profile.h"

namespace tether::tunnel {

// The largest UDP payload; anything longer cannot be a datagram.
constexpr std::size_t kMaxDatagramSize = 65535;

struct DeviceOptions {
  // Informational (the app binds the socket); shown by peer listings.
  std::uint16_t listen_port = 0;
  // The tunnel interface's MTU, so padding never takes a packet past it; 0
  // pads to a multiple of 16 regardless.
  std::size_t mtu = 0;
  // Handshake messages per second above which the device is under load and
  // demands cookies (see load_detector.h); 0 = always.
  std::uint32_t under_load_threshold = LoadDetector::kDefaultThreshold;
  std::size_t max_staged_packets = kMaxStagedPackets;
  // Emit Wireshark key-log lines (private keys!) into Output::key_log.
  bool key_log = false;
  // Emit a packet_dropped event per drop (counters are kept regardless).
  bool drop_events = true;
  // Inner allow-list; allows everything by default.
  InnerFilter inner_filter;
  // Whose timer behaviour the device follows (timer_profile.h).
  const TimerProfile* timer_profile = &TimerProfile::linux_kernel();
};

// Work the device did or refused, beyond the drop counters.
struct DeviceCounters {
  // Handshake messages that reached a Diffie-Hellman (passed mac1, and mac2
  // under load): the cost a flood can impose.
  std::uint64_t handshakes_processed = 0;
  std::uint64_t cookie_replies_sent = 0;
  std::uint64_t packets_delivered = 0;  // inner packets to the TUN
};

class Device {
 public:
  // `random` must outlive the device.
  Device(const crypto::PrivateKey& private_key, RandomSource& random, DeviceOptions options = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const crypto::PublicKey& public_key() const { return identity_->public_key(); }
  const DeviceOptions& options() const { return options_; }
  void set_inner_filter(InnerFilter filter) { options_.inner_filter = std::move(filter); }

  // --- configuration ---
  // Fails for a key already present or our own key (wg ignores the latter).
  // AllowedIPs another peer had move to this one, as with wg.
  Result<void> add_peer(const PeerConfig& config, Time now);
  bool remove_peer(const crypto::PublicKey& key);
  // For configuration and DNS re-resolution; no event (the caller knows).
  bool set_peer_endpoint(const crypto::PublicKey& key, const Endpoint& endpoint);
  bool set_persistent_keepalive(const crypto::PublicKey& key, std::uint16_t seconds, Time now);
  // Replaces the peer's AllowedIPs (wg's replace-allowed-ips); its sessions
  // stay. Prefixes another peer had move to this one.
  bool set_allowed_ips(const crypto::PublicKey& key, const std::vector<IpPrefix>& prefixes);
  bool has_peer(const crypto::PublicKey& key) const { return by_key_.count(key) != 0; }
  std::size_t peer_count() const { return peers_.size(); }

  // --- input ---
  void handle_datagram(const Endpoint& from, ByteView datagram, Time now, WallTime wall, Output& out);
  void handle_tun_packet(ByteView ip_packet, Time now, WallTime wall, Output& out);
  void handle_deadline(Time now, WallTime wall, Output& out);
  // The earliest deadline of any peer; Time::never() if none.
  Time next_deadline() const;

  // --- inspection ---
  // In the order the peers were added; `now` decides whether a session can
  // still send.
  std::vector<PeerStats> peer_stats(Time now) const;
  std::optional<PeerStats> peer_stats(const crypto::PublicKey& key, Time now) const;
  const DropCounters& drops() const { return drops_; }
  const DeviceCounters& counters() const { return counters_; }
  std::size_t index_count() const { return indices_.size(); }
  bool under_load(Time now) const { return load_.under_load(now); }

 private:
  PeerStep step(Time now, WallTime wall, Output& out);
  Peer* find(const crypto::PublicKey& key) const;
  Peer* find(PeerId id) const;
  void handle_handshake(const Endpoint& from, ByteView datagram, MessageType type, PeerStep& s);
  void handle_cookie_reply(const Endpoint& from, ByteView datagram, PeerStep& s);
  void handle_transport(const Endpoint& from, ByteView datagram, PeerStep& s);

  std::shared_ptr<const LocalIdentity> identity_;
  RandomSource& random_;
  DeviceOptions options_;
  CookieChecker cookies_;
  LoadDetector load_;
  Ratelimiter ratelimiter_;
  IndexTable indices_;
  AllowedIps allowed_ips_;
  std::map<PeerId, std::unique_ptr<Peer>> peers_;
  std::map<crypto::PublicKey, PeerId> by_key_;
  PeerId next_id_ = 1;
  DropCounters drops_;
  DeviceCounters counters_;
  Bytes plaintext_;  // reused across transport messages
};

}  // namespace tether::tunnel
