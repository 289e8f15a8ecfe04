#include "tunnel/session.h"

#include "tunnel/protocol_constants.h"

namespace tether::tunnel {
namespace {

// Drops a keypair from its slot, erasing its keys, and records its index.
void retire(std::unique_ptr<Keypair>& slot, std::vector<std::uint32_t>& retired) {
  if (!slot) return;
  retired.push_back(slot->local_index());
  slot->zero();
  slot.reset();
}

}  // namespace

Keypair* Session::find(std::uint32_t local_index) const {
  for (Keypair* k : {current_.get(), next_.get(), previous_.get()})
    if (k && k->local_index() == local_index) return k;
  return nullptr;
}

std::vector<std::uint32_t> Session::install(std::unique_ptr<Keypair> keypair, Time now) {
  std::vector<std::uint32_t> retired;
  if (keypair->initiator()) {
    if (next_) {
      // An unconfirmed keypair of ours as responder loses to the handshake
      // we initiated; like Linux we keep it as previous (a packet from the
      // peer may still be on its way under it) and drop current.
      retire(previous_, retired);
      previous_ = std::move(next_);
      retire(current_, retired);
    } else {
      retire(previous_, retired);
      previous_ = std::move(current_);
    }
    current_ = std::move(keypair);
  } else {
    // Usable only once confirmed: displace any unconfirmed one, and the
    // previous, which a confirmation would displace anyway.
    retire(next_, retired);
    retire(previous_, retired);
    next_ = std::move(keypair);
  }
  zero_at_ = now + kZeroKeysAfter;
  return retired;
}

TransportOutcome<std::uint64_t> Session::encrypt(ByteView plaintext, Time now, Bytes& datagram, std::size_t mtu) {
  if (!current_) return TransportError::no_keypair;
  return current_->encrypt(plaintext, now, datagram, mtu);
}

TransportOutcome<Session::Received> Session::decrypt(const Transport& message, Time now, Bytes& plaintext) {
  Keypair* keypair = find(message.receiver_index);
  if (!keypair) return TransportError::unknown_index;
  auto opened = keypair->decrypt(message, now, plaintext);
  if (!opened) return opened.error();

  Received received;
  received.length = *opened;
  received.counter = message.counter;
  received.keepalive = message.is_keepalive();
  if (keypair == next_.get()) {
    std::vector<std::uint32_t> retired;
    retire(previous_, retired);
    previous_ = std::move(current_);
    current_ = std::move(next_);
    received.confirmed_next = true;
    if (!retired.empty()) received.retired_index = retired.front();
  }
  return received;
}

std::vector<std::uint32_t> Session::on_deadline(Time now) {
  if (now < zero_at_) return {};
  return clear();
}

void Session::arm_zeroing(Time now) {
  if (zero_at_.is_never()) zero_at_ = now + kZeroKeysAfter;
}

std::vector<std::uint32_t> Session::clear() {
  std::vector<std::uint32_t> retired;
  retire(next_, retired);
  retire(previous_, retired);
  retire(current_, retired);
  zero_at_ = Time::never();
  return retired;
}

}  // namespace tether::tunnel
