#include "tunnel/keypair.h"

#include <algorithm>
#include <ostream>

#include "tunnel/protocol_constants.h"

namespace tether::tunnel {

const char* to_string(TransportError error) {
  switch (error) {
    case TransportError::no_keypair: return "no keypair to send with";
    case TransportError::unknown_index: return "unknown receiver index";
    case TransportError::expired: return "keypair expired";
    case TransportError::counter_exhausted: return "keypair message limit reached";
    case TransportError::replayed: return "replayed or out-of-window counter";
    case TransportError::bad_authentication: return "transport packet did not authenticate";
  }
  return "unknown transport error";
}

std::ostream& operator<<(std::ostream& os, TransportError error) { return os << to_string(error); }

std::size_t transport_padding(std::size_t length, std::size_t mtu) {
  auto round_up = [](std::size_t n) { return (n + kPaddingMultiple - 1) / kPaddingMultiple * kPaddingMultiple; };
  if (mtu == 0) return round_up(length) - length;
  // A packet larger than the MTU (it happens with offloads) is padded as if
  // only its last MTU-sized unit counted, as Linux does, so the clamp below
  // cannot underflow.
  std::size_t last_unit = length > mtu ? length % mtu : length;
  std::size_t padded = std::min(mtu, round_up(last_unit));
  return padded - last_unit;
}

Keypair::Keypair(const noise::TransportKeys& keys, std::uint32_t local_index, std::uint32_t remote_index,
                 bool initiator, Time created)
    : send_(std::in_place, keys.send),
      receive_(std::in_place, keys.receive),
      local_index_(local_index),
      remote_index_(remote_index),
      initiator_(initiator),
      created_(created) {}

bool Keypair::usable(Time now) const { return !zeroed() && now - created_ < kRejectAfterTime; }

void Keypair::zero() {
  // The cipher's destructor wipes its key.
  send_.reset();
  receive_.reset();
}

TransportOutcome<std::uint64_t> Keypair::encrypt(ByteView plaintext, Time now, Bytes& datagram, std::size_t mtu) {
  if (!usable(now)) return TransportError::expired;
  if (send_counter_ >= kRejectAfterMessages) return TransportError::counter_exhausted;
  const std::uint64_t counter = send_counter_;

  const std::size_t padded = plaintext.size() + transport_padding(plaintext.size(), mtu);
  datagram.resize(kTransportHeaderSize + padded + kAeadTagSize);
  write_transport_header(datagram.data(), remote_index_, counter);
  std::uint8_t* body = datagram.data() + kTransportHeaderSize;
  std::copy(plaintext.begin(), plaintext.end(), body);
  std::fill(body + plaintext.size(), body + padded, std::uint8_t(0));
  auto sealed = send_->seal(counter, ByteView(), ByteView(body, padded), MutableByteView(body, padded + kAeadTagSize));
  if (!sealed) return TransportError::bad_authentication;  // only a library failure gets here
  ++send_counter_;
  return counter;
}

TransportOutcome<std::size_t> Keypair::decrypt(const Transport& message, Time now, Bytes& plaintext) {
  if (!usable(now)) return TransportError::expired;
  if (!replay_.would_accept(message.counter)) return TransportError::replayed;
  const std::size_t length = message.encrypted_packet.size() - kAeadTagSize;
  plaintext.resize(length);
  auto opened = receive_->open(message.counter, ByteView(), message.encrypted_packet, MutableByteView(plaintext));
  if (!opened) {
    plaintext.clear();
    return TransportError::bad_authentication;
  }
  if (!replay_.check_and_update(message.counter)) {
    plaintext.clear();
    return TransportError::replayed;
  }
  return length;
}

bool Keypair::wants_rekey_on_send(Time now) const {
  if (zeroed()) return false;
  return send_counter_ > kRekeyAfterMessages || (initiator_ && now - created_ >= kRekeyAfterTime);
}

bool Keypair::wants_rekey_on_receive(Time now) const {
  if (zeroed() || !initiator_) return false;
  return now - created_ >= kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout;
}

}  // namespace tether::tunnel
