#pragma once
// One session's keys (whitepaper 5.4.6, Linux noise_keypair): the two
// directions' ChaCha20-Poly1305 ciphers from a completed handshake, the
// indices that name the session on the wire, the send counter and the
// receive replay window, and the limits that end its life:
//  - it neither sends nor receives once REJECT_AFTER_TIME (180 s) old, nor
//    sends REJECT_AFTER_MESSAGES messages;
//  - it asks for a new handshake (the timers decide when to send it) after
//    REKEY_AFTER_MESSAGES messages, or, on the initiator's side only,
//    REKEY_AFTER_TIME (120 s) after it was made.
// Erasing keys after 540 s is the Session's job (it owns the deadline).

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>

#include "core/bytes.h"
#include "core/time.h"
#include "crypto/aead.h"
#include "tunnel/messages.h"
#include "tunnel/noise.h"
#include "tunnel/outcome.h"
#include "tunnel/replay_window.h"

namespace tether::tunnel {

enum class TransportError : std::uint8_t {
  no_keypair,          // no keypair to send with (none yet, unconfirmed, or erased)
  unknown_index,       // the receiver index names none of this peer's keypairs
  expired,             // the keypair is REJECT_AFTER_TIME old, or its keys were erased
  counter_exhausted,   // REJECT_AFTER_MESSAGES sent with this keypair
  replayed,            // counter seen before, behind the window, or past the limit
  bad_authentication,  // the AEAD tag did not verify
};
const char* to_string(TransportError error);
std::ostream& operator<<(std::ostream& os, TransportError error);

template <typename T>
using TransportOutcome = Outcome<T, TransportError>;

// Bytes of padding WireGuard adds to an inner packet of `length` bytes:
// up to a multiple of 16, but never beyond the MTU (0: no MTU known), as
// Linux's calculate_skb_padding.
std::size_t transport_padding(std::size_t length, std::size_t mtu);

class Keypair {
 public:
  // `local_index` is the index we chose (peers send it as the receiver
  // index); `remote_index` the one the peer chose.
  Keypair(const noise::TransportKeys& keys, std::uint32_t local_index, std::uint32_t remote_index, bool initiator,
          Time created);
  Keypair(const Keypair&) = delete;
  Keypair& operator=(const Keypair&) = delete;

  std::uint32_t local_index() const { return local_index_; }
  std::uint32_t remote_index() const { return remote_index_; }
  bool initiator() const { return initiator_; }
  Time created() const { return created_; }
  // The counter the next sent message will carry.
  std::uint64_t send_counter() const { return send_counter_; }
  const ReplayWindow& replay_window() const { return replay_; }

  // Keys present and younger than REJECT_AFTER_TIME.
  bool usable(Time now) const;
  bool zeroed() const { return !send_.has_value(); }

  // Encrypts `plaintext` (an inner IP packet, or empty for a keepalive),
  // padded as WireGuard pads, into a complete transport message in
  // `datagram` (resized; its capacity is reused). Returns the counter used.
  TransportOutcome<std::uint64_t> encrypt(ByteView plaintext, Time now, Bytes& datagram, std::size_t mtu = 0);

  // Authenticates and decrypts `message` (whose receiver index named this
  // keypair) into `plaintext`, resized to the padded inner packet: the
  // device trims it to the IP header's length. An obvious replay is dropped
  // before any decryption; the window only moves after authentication, so
  // forgeries cannot move it.
  TransportOutcome<std::size_t> decrypt(const Transport& message, Time now, Bytes& plaintext);

  // Linux keep_key_fresh, on sending: too many messages, or (initiator
  // only) older than REKEY_AFTER_TIME.
  bool wants_rekey_on_send(Time now) const;
  // On receiving (initiator only): older than REJECT_AFTER_TIME -
  // KEEPALIVE_TIMEOUT - REKEY_TIMEOUT (165 s), a last chance to rekey before
  // the keypair dies. The caller sends that handshake once per keypair.
  bool wants_rekey_on_receive(Time now) const;

  // Erases both keys; the keypair refuses everything from then on.
  void zero();

 private:
  std::optional<crypto::ChaChaPolyCipher> send_;
  std::optional<crypto::ChaChaPolyCipher> receive_;
  std::uint32_t local_index_;
  std::uint32_t remote_index_;
  bool initiator_;
  Time created_;
  std::uint64_t send_counter_ = 0;
  ReplayWindow replay_;
};

}  // namespace tether::tunnel
