#pragma once
// WireGuard's handshake (whitepaper 5.4.2-5.4.5; Linux noise.c): the
// Noise_IKpsk2 pattern of noise.h framed into initiation and response
// messages, with the checks that are WireGuard's own:
//  - an initiation carries a TAI64N timestamp, and a responder accepts it
//    only if it is strictly newer than the newest it accepted from that
//    peer, so a replayed initiation cannot reset a session;
//  - initiations from one peer less than 20 ms apart are dropped (flood);
//  - every message goes through the CookieChecker (mac1, and mac2 under
//    load) before any of this runs: the steps here accept only a
//    VerifiedHandshake, so the cheap checks cannot be skipped;
//  - an optional preshared key, all zeros when none is configured.
//
// One Handshake per peer, holding that peer's static key, PSK, the
// static-static DH computed once, the handshake in progress and the replay
// state. Sans-IO: ephemeral keys come from the RandomSource, times are
// arguments, sender indices are chosen by the caller (the device owns the
// receiver-index table and keeps them unique).
//
// On the wire:
//   initiator: create_initiation          -> initiation (148 bytes)
//   responder: consume_initiation, create_response -> response (92 bytes)
//   initiator: consume_response
//   both:      begin_session -> Keypair (Session::install), handshake zeroed

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>

#include "core/bytes.h"
#include "core/time.h"
#include "crypto/base64_key.h"
#include "crypto/tai64n.h"
#include "crypto/x25519.h"
#include "tunnel/cookie.h"
#include "tunnel/keypair.h"
#include "tunnel/noise.h"
#include "tunnel/random_source.h"

namespace tether::tunnel {

// The device's static key pair. The key is made ready for OpenSSL once
// (crypto::X25519PrivateKey): it takes part in a DH in every handshake.
class LocalIdentity {
 public:
  // Clamps the key, as wg does with a configured PrivateKey.
  explicit LocalIdentity(const crypto::PrivateKey& private_key);
  ~LocalIdentity();
  LocalIdentity(const LocalIdentity&) = delete;
  LocalIdentity& operator=(const LocalIdentity&) = delete;

  // The raw bytes, for the key log.
  const crypto::PrivateKey& private_key() const { return private_key_; }
  const crypto::X25519PrivateKey& key() const { return key_; }
  const crypto::PublicKey& public_key() const { return key_.public_key(); }

 private:
  crypto::PrivateKey private_key_{};
  crypto::X25519PrivateKey key_;
};

class Handshake {
 public:
  enum class State : std::uint8_t {
    zeroed,               // nothing in progress
    created_initiation,   // initiator, waiting for a response
    consumed_initiation,  // responder, about to respond
    created_response,     // responder, ready for begin_session
    consumed_response,    // initiator, ready for begin_session
  };

  // No preshared key means 32 zero bytes, as in WireGuard.
  Handshake(std::shared_ptr<const LocalIdentity> local, const crypto::PublicKey& remote_static,
            const std::optional<crypto::Key32>& preshared_key = std::nullopt);
  ~Handshake();
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  const crypto::PublicKey& remote_static() const { return remote_static_; }
  const crypto::Key32& preshared_key() const { return preshared_key_; }
  State state() const { return state_; }
  // Our index for the handshake in progress (0 when zeroed): the sender
  // index of our last initiation or response. It moves to the keypair in
  // begin_session. A new initiation or response replaces it, and the device
  // must drop the old one from its table.
  std::uint32_t local_index() const { return local_index_; }
  std::uint32_t remote_index() const { return remote_index_; }
  // The newest initiation timestamp accepted from this peer (survives zeroing).
  const crypto::Tai64n& latest_timestamp() const { return latest_timestamp_; }
  // Our ephemeral private key while a handshake is in progress, for the
  // Wireshark key log (LOCAL_EPHEMERAL_PRIVATE_KEY).
  const crypto::PrivateKey& ephemeral_private() const { return ephemeral_private_; }

  // The MACs on our messages to this peer, and its cookie replies.
  CookieConsumer& cookie() { return cookie_; }
  const CookieConsumer& cookie() const { return cookie_; }

  // Initiator: a new initiation, replacing any handshake in progress. `wall`
  // gives the TAI64N timestamp (whitened to ~16 ms as Linux does); `now` the
  // age of any cookie for mac2. 32 random bytes make the ephemeral key.
  //
  // Unlike Linux and wireguard-go, a wall clock that steps back does not
  // stall us: the responder would refuse every stamp older than the last it
  // saw until the clock caught up, so each stamp is at least one whitening
  // step (2^24 ns) past the previous one sent from this object.
  HandshakeOutcome<Bytes> create_initiation(std::uint32_t sender_index, Time now, WallTime wall,
                                            RandomSource& random);
  // Initiator: the response to our outstanding initiation. Index and state
  // are checked before any DH. A forged response leaves the handshake in
  // progress untouched.
  HandshakeOutcome<void> consume_response(const VerifiedHandshake& message);

  // Responder, after consume_initiation chose this peer.
  HandshakeOutcome<Bytes> create_response(std::uint32_t sender_index, Time now, RandomSource& random);

  // Either side, once its half is done: derives the keypair (Split), and
  // erases the handshake's secrets.
  HandshakeOutcome<std::unique_ptr<Keypair>> begin_session(Time now);

  // Erases the handshake in progress (ephemeral key, chaining key, hash,
  // indices). Replay state and static keys remain.
  void clear();

 private:
  friend HandshakeOutcome<Handshake*> consume_initiation(const LocalIdentity&, const VerifiedHandshake&, Time,
                                                         const std::function<Handshake*(const crypto::PublicKey&)>&);

  // The shared end of create_initiation and create_response: MACs on a
  // written message and the handshake moved to `created`, or cleared.
  HandshakeOutcome<Bytes> finish_created(const HandshakeOutcome<void>& written, Bytes datagram,
                                         const noise::SymmetricState& state, std::uint32_t sender_index,
                                         State created, Time now);

  std::shared_ptr<const LocalIdentity> local_;
  crypto::PublicKey remote_static_{};
  crypto::Key32 preshared_key_{};
  // DH(local static, remote static), computed once. Zeros when the remote
  // key is a low-order point: every handshake with it then fails.
  crypto::SharedSecret static_static_{};
  CookieConsumer cookie_;

  State state_ = State::zeroed;
  std::optional<noise::SymmetricState> symmetric_;
  crypto::PrivateKey ephemeral_private_{};
  // The same key, made once per handshake for its public key and its DHs.
  std::optional<crypto::X25519PrivateKey> ephemeral_;
  crypto::PublicKey remote_ephemeral_{};
  std::uint32_t local_index_ = 0;
  std::uint32_t remote_index_ = 0;

  crypto::Tai64n latest_timestamp_{};  // received, as responder
  std::optional<Time> last_initiation_consumed_;
  std::optional<crypto::Tai64n> last_sent_timestamp_;  // as initiator
};

const char* to_string(Handshake::State state);
std::ostream& operator<<(std::ostream& os, Handshake::State state);

// Finds the Handshake of the peer with this static key, or null.
using PeerLookup = std::function<Handshake*(const crypto::PublicKey& initiator_static)>;

// Responder: an initiation, which names its sender only inside the
// encryption. Decrypts the static key (one DH), looks the peer up, finishes
// (the precomputed DH, the timestamp), applies the replay and flood rules
// and only then records the handshake in that peer's Handshake, returning
// it. Anything refused leaves every peer untouched.
HandshakeOutcome<Handshake*> consume_initiation(const LocalIdentity& local, const VerifiedHandshake& message, Time now,
                                                const PeerLookup& lookup);

}  // namespace tether::tunnel
