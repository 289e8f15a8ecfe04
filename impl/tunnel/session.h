#pragma once
// A peer's keypairs in Linux's three slots (noise.c add_new_keypair,
// wg_noise_received_with_keypair):
//
//  - current:  the one we send with;
//  - previous: the one before it, kept so packets still in flight under it
//              decrypt across a rekey;
//  - next:     a responder's fresh keypair. The responder cannot know the
//              initiator received its response until a transport packet
//              arrives under the new keys, so it keeps sending with current
//              and moves next into current on that first packet.
//
// An initiator's fresh keypair goes straight to current (the response was
// its confirmation). The Session also owns the deadline at which every key
// of the peer is erased, 3 x REJECT_AFTER_TIME after the latest keypair was
// made, and exposes it through next_deadline(); the device erases the
// peer's Handshake state at the same time, as Linux's zero-key timer does.
//
// Keypairs leave the slots when displaced or erased; their local indices are
// returned so the device can drop them from its receiver-index table.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/time.h"
#include "tunnel/keypair.h"

namespace tether::tunnel {

class Session {
 public:
  Keypair* previous() const { return previous_.get(); }
  Keypair* current() const { return current_.get(); }
  Keypair* next() const { return next_.get(); }
  // The keypair whose local index is `local_index`, if any slot holds it.
  Keypair* find(std::uint32_t local_index) const;
  bool empty() const { return !previous_ && !current_ && !next_; }

  // Adds a keypair just derived by Handshake::begin_session, in the slot
  // its role gives it, and (re)arms key erasure for now + 540 s. Returns the
  // local indices of the keypairs it displaced.
  std::vector<std::uint32_t> install(std::unique_ptr<Keypair> keypair, Time now);

  // Encrypts with the current keypair (see Keypair::encrypt). An empty
  // current slot is no_keypair: the device queues the packet and starts a
  // handshake.
  TransportOutcome<std::uint64_t> encrypt(ByteView plaintext, Time now, Bytes& datagram, std::size_t mtu = 0);

  struct Received {
    std::size_t length = 0;     // of the padded plaintext
    std::uint64_t counter = 0;
    bool keepalive = false;     // empty plaintext
    // The packet arrived under `next`, which is now current: the handshake
    // we answered is confirmed.
    bool confirmed_next = false;
    // Displaced from `previous` by that confirmation.
    std::optional<std::uint32_t> retired_index;
  };
  // Decrypts `message` with the keypair its receiver index names.
  TransportOutcome<Received> decrypt(const Transport& message, Time now, Bytes& plaintext);

  // When every key is due to be erased; Time::never() if not armed.
  Time next_deadline() const { return zero_at_; }
  // Erases everything if the deadline has passed; returns the indices
  // dropped (empty otherwise).
  std::vector<std::uint32_t> on_deadline(Time now);
  // Arms erasure for now + 540 s unless already armed: Linux does this
  // when it gives up on a handshake, so a dead peer's keys still go.
  void arm_zeroing(Time now);
  // Erases and drops every keypair and disarms the deadline.
  std::vector<std::uint32_t> clear();

 private:
  std::unique_ptr<Keypair> previous_;
  std::unique_ptr<Keypair> current_;
  std::unique_ptr<Keypair> next_;
  Time zero_at_ = Time::never();
};

}  // namespace tether::tunnel
