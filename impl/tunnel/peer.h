#pragma once
// One WireGuard peer of a device (Linux peer.c and the per-peer halves of
// send.c and receive.c): its static key and optional PSK, its endpoint, its
// Handshake (with the CookieConsumer for its cookie replies), its Session
// (previous/current/next keypairs), its timers, the packets staged while a
// handshake is in flight, and its counters.
//
// The Device routes to a peer (by receiver index, by static key inside an
// initiation, by AllowedIPs) and then calls it here; the peer does what
// Linux does at that point, hooks its timers, and writes what it sends and
// what happened into the step's Output. The peer's AllowedIPs live in the
// device's routing table, not here.
//
// Roaming: the endpoint changes only in update_endpoint(), called with the
// outer source of an initiation, response or transport message once it has
// authenticated. A cookie reply never reaches it.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/time.h"
#include "crypto/base64_key.h"
#include "crypto/x25519.h"
#include "tunnel/allowed_ips.h"
#include "tunnel/handshake.h"
#include "tunnel/index_table.h"
#include "tunnel/output.h"
#include "tunnel/random_source.h"
#include "tunnel/session.h"
#include "tunnel/timers.h"

namespace tether::tunnel {

// Linux MAX_STAGED_PACKETS: packets kept per peer while waiting for a handshake.
constexpr std::size_t kMaxStagedPackets = 128;

struct PeerConfig {
  crypto::PublicKey public_key{};
  std::optional<crypto::Key32> preshared_key;
  // Where to send until the peer roams. Unset for a peer that only ever
  // connects to us (the relay's view of a home host behind NAT).
  std::optional<Endpoint> endpoint;
  std::vector<IpPrefix> allowed_ips;
  std::uint16_t persistent_keepalive = 0;  // seconds; 0 is off
};

// What `wg show` prints for a peer.
struct PeerStats {
  crypto::PublicKey public_key{};
  bool has_preshared_key = false;
  std::optional<Endpoint> endpoint;
  std::vector<IpPrefix> allowed_ips;
  std::optional<WallTime> latest_handshake;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::uint16_t persistent_keepalive = 0;
  std::uint64_t keepalives_sent = 0;
  std::uint64_t handshakes_sent = 0;  // initiations, retries included
  int handshake_attempts = 0;         // retries in the current series
  bool has_session = false;           // a current keypair that can send at the time asked
  std::size_t staged_packets = 0;
};

// What one step lends a peer: the time, the device's randomness, index
// table and settings, and the step's output.
struct PeerStep {
  Time now;
  WallTime wall;
  RandomSource& random;
  IndexTable& indices;
  Output& out;
  DropCounters& drops;
  const LocalIdentity& local;
  std::size_t mtu = 0;
  std::size_t max_staged = kMaxStagedPackets;
  bool key_log = false;
  bool drop_events = true;
  const TimerProfile* timer_profile = &TimerProfile::linux_kernel();

  Event& emit(EventKind kind, const std::optional<crypto::PublicKey>& peer);
  void drop(PacketDropReason reason, const std::optional<crypto::PublicKey>& peer, const char* detail = nullptr,
            const std::optional<Endpoint>& source = std::nullopt);
};

class Peer {
 public:
  Peer(PeerId id, const PeerConfig& config, std::shared_ptr<const LocalIdentity> local, Time now);
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  PeerId id() const { return id_; }
  const crypto::PublicKey& public_key() const { return public_key_; }
  const std::optional<Endpoint>& endpoint() const { return endpoint_; }
  void set_endpoint(const Endpoint& endpoint) { endpoint_ = endpoint; }
  Handshake& handshake() { return handshake_; }
  const Session& session() const { return session_; }
  const PeerTimers& timers() const { return timers_; }
  std::size_t staged() const { return staged_.size(); }

  // --- outgoing ---
  // Queues an inner packet (empty: a keepalive) until a keypair can carry
  // it; the oldest is dropped beyond the limit, as Linux does.
  void stage(ByteView packet, PeerStep& step);
  // Sends every staged packet with the current keypair, or starts a
  // handshake if there is none that can send (wg_packet_send_staged_packets).
  void send_staged(PeerStep& step);
  // A keepalive, unless staged packets go out anyway.
  void send_keepalive(PeerStep& step);
  // An initiation, at most one per REKEY_TIMEOUT; `is_retry` keeps the
  // attempt count (wg_packet_send_queued_handshake_initiation).
  void send_handshake_initiation(bool is_retry, PeerStep& step);

  // --- incoming, after the device routed the message here ---
  // consume_initiation accepted an initiation from this peer: answer it.
  void respond(const Endpoint& from, std::size_t datagram_size, PeerStep& step);
  // A response naming our outstanding initiation's index.
  HandshakeOutcome<void> consume_response(const VerifiedHandshake& message, const Endpoint& from, PeerStep& step);
  // A transport message naming one of our keypairs: decrypts into
  // `plaintext` (padded; the device trims it) and runs the receive-side
  // rules. Data packets are counted by the device once it delivers them.
  TransportOutcome<Session::Received> receive_transport(const Transport& message, const Endpoint& from,
                                                        std::size_t datagram_size, Bytes& plaintext, PeerStep& step);
  void count_received(std::size_t bytes) { rx_bytes_ += bytes; }

  // --- time ---
  Time next_deadline() const;
  void on_deadline(PeerStep& step);

  // --- configuration ---
  void set_persistent_keepalive(std::uint16_t seconds, Time now);
  // Forgets every index of this peer (before removal).
  void release_indices(IndexTable& indices);

  PeerStats stats(Time now) const;

 private:
  void update_endpoint(const Endpoint& from, PeerStep& step);
  void begin_session(PeerStep& step);
  // The current keypair can still carry data: a handshake now is a rekey.
  bool has_usable_session(Time now) const;
  void keep_key_fresh_on_send(PeerStep& step);
  void keep_key_fresh_on_receive(PeerStep& step);
  void purge_staged(PacketDropReason reason, PeerStep& step);
  void zero_key_material(PeerStep& step);
  void log_keys(PeerStep& step);
  void send_handshake_message(Bytes datagram, PeerStep& step);

  PeerId id_;
  crypto::PublicKey public_key_{};
  bool has_psk_ = false;
  std::optional<crypto::Key32> psk_;  // kept for the key log only
  std::optional<Endpoint> endpoint_;
  std::uint16_t persistent_keepalive_ = 0;
  Handshake handshake_;
  std::uint32_t handshake_index_ = 0;  // mirrors handshake_.local_index(), for the index table
  Session session_;
  PeerTimers timers_;
  std::deque<Bytes> staged_;

  std::uint64_t rx_bytes_ = 0;
  std::uint64_t tx_bytes_ = 0;
  std::uint64_t keepalives_sent_ = 0;
  std::uint64_t handshakes_sent_ = 0;
  std::optional<WallTime> latest_handshake_;
};

}  // namespace tether::tunnel
