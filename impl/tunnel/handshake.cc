#include "tunnel/handshake.h"

#include <ostream>

#include "crypto/constant_time.h"
#include "tunnel/messages.h"
#include "tunnel/protocol_constants.h"

namespace tether::tunnel {
namespace {

// The Noise part of each message sits between the indices and mac1:
// initiation [8, 116), response [12, 60).
constexpr std::size_t kInitiationNoiseOffset = 8;  // type word, sender index
constexpr std::size_t kResponseNoiseOffset = 12;   // type word, sender and receiver indices
// One step of the TAI64N whitening (Tai64nWhitening::wireguard).
constexpr std::int64_t kTimestampStep = std::int64_t(1) << 24;

template <std::size_t N>
void wipe(std::array<std::uint8_t, N>& a) {
  crypto::secure_wipe(MutableByteView(a));
}

crypto::PrivateKey new_ephemeral(RandomSource& random) {
  std::array<std::uint8_t, 32> bytes{};
  random.fill(MutableByteView(bytes));
  crypto::PrivateKey key = crypto::private_key_from_random(bytes);
  wipe(bytes);
  return key;
}

// The Noise bytes of an encoded handshake message: from `offset` to mac1.
ByteView noise_part(ByteView datagram, std::size_t offset) {
  auto layout = mac_layout(datagram);
  return datagram.subview(offset, layout->mac1_offset - offset);
}
MutableByteView noise_part(Bytes& datagram, std::size_t offset) {
  auto layout = mac_layout(datagram);
  return MutableByteView(datagram.data() + offset, layout->mac1_offset - offset);
}

}  // namespace

const char* to_string(Handshake::State state) {
  switch (state) {
    case Handshake::State::zeroed: return "zeroed";
    case Handshake::State::created_initiation: return "created_initiation";
    case Handshake::State::consumed_initiation: return "consumed_initiation";
    case Handshake::State::created_response: return "created_response";
    case Handshake::State::consumed_response: return "consumed_response";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, Handshake::State state) { return os << to_string(state); }

LocalIdentity::LocalIdentity(const crypto::PrivateKey& private_key)
    : private_key_(crypto::clamp_private_key(private_key)), key_(private_key_) {}

LocalIdentity::~LocalIdentity() { wipe(private_key_); }

Handshake::Handshake(std::shared_ptr<const LocalIdentity> local, const crypto::PublicKey& remote_static,
                     const std::optional<crypto::Key32>& preshared_key)
    : local_(std::move(local)), remote_static_(remote_static), cookie_(remote_static) {
  if (preshared_key) preshared_key_ = *preshared_key;
  auto shared = local_->key().shared_secret(remote_static_);
  if (shared) {
    static_static_ = *shared;
    wipe(*shared);
  }
}

Handshake::~Handshake() {
  clear();
  wipe(preshared_key_);
  wipe(static_static_);
}

void Handshake::clear() {
  symmetric_.reset();  // wipes itself
  ephemeral_.reset();  // OpenSSL cleanses it
  wipe(ephemeral_private_);
  wipe(remote_ephemeral_);
  local_index_ = 0;
  remote_index_ = 0;
  state_ = State::zeroed;
}

HandshakeOutcome<Bytes> Handshake::create_initiation(std::uint32_t sender_index, Time now, WallTime wall,
                                                     RandomSource& random) {
  clear();
  ephemeral_private_ = new_ephemeral(random);
  ephemeral_.emplace(ephemeral_private_);
  noise::SymmetricState state(ByteView(noise::kIdentifier), remote_static_);

  Initiation header;
  header.sender_index = sender_index;
  Bytes datagram = encode(header);
  crypto::Tai64n stamp = crypto::tai64n_from_unix_ns(wall.unix_ns());
  if (last_sent_timestamp_ && !crypto::tai64n_is_newer(stamp, *last_sent_timestamp_))
    stamp = crypto::tai64n_from_unix_ns(crypto::tai64n_to_unix_ns(*last_sent_timestamp_) + kTimestampStep);
  auto written = noise::write_first_message(state, *ephemeral_, local_->public_key(), remote_static_,
                                            static_static_, stamp, noise_part(datagram, kInitiationNoiseOffset));
  auto created =
      finish_created(written, std::move(datagram), state, sender_index, State::created_initiation, now);
  if (created) last_sent_timestamp_ = stamp;
  return created;
}

HandshakeOutcome<Handshake*> consume_initiation(const LocalIdentity& local, const VerifiedHandshake& message, Time now,
                                                const PeerLookup& lookup) {
  auto initiation = decode_initiation(message.datagram());
  if (!initiation) return HandshakeError::malformed;
  const ByteView body = noise_part(message.datagram(), kInitiationNoiseOffset);

  noise::SymmetricState state(ByteView(noise::kIdentifier), local.public_key());
  auto identity = noise::read_first_message_identity(state, local.key(), body);
  if (!identity) return identity.error();
  Handshake* peer = lookup(identity->initiator_static);
  if (peer == nullptr) return HandshakeError::unknown_peer;

  crypto::Tai64n stamp{};
  auto finished = noise::read_first_message_payload(state, peer->static_static_, body, MutableByteView(stamp));
  if (!finished) return finished.error();

  // Both after the decryption, as Linux: only the real peer's messages can
  // get here, so neither check can be used to probe.
  if (!crypto::tai64n_is_newer(stamp, peer->latest_timestamp_)) return HandshakeError::replayed_timestamp;
  if (peer->last_initiation_consumed_ && now - *peer->last_initiation_consumed_ < kMinInitiationSpacing)
    return HandshakeError::flood;

  // Any initiation of our own in progress is abandoned: the peer's wins.
  peer->clear();
  peer->symmetric_ = state;
  peer->remote_ephemeral_ = identity->ephemeral;
  peer->remote_index_ = initiation->sender_index;
  peer->latest_timestamp_ = stamp;
  peer->last_initiation_consumed_ = now;
  peer->state_ = Handshake::State::consumed_initiation;
  return peer;
}

HandshakeOutcome<Bytes> Handshake::create_response(std::uint32_t sender_index, Time now, RandomSource& random) {
  if (state_ != State::consumed_initiation) return HandshakeError::wrong_state;
  ephemeral_private_ = new_ephemeral(random);
  ephemeral_.emplace(ephemeral_private_);
  noise::SymmetricState state = *symmetric_;

  Response header;
  header.sender_index = sender_index;
  header.receiver_index = remote_index_;
  Bytes datagram = encode(header);
  auto written = noise::write_second_message(state, *ephemeral_, remote_ephemeral_, remote_static_,
                                             preshared_key_, ByteView(), noise_part(datagram, kResponseNoiseOffset));
  return finish_created(written, std::move(datagram), state, sender_index, State::created_response, now);
}

// Initiation and response end alike. A failed write leaves no half-made
// handshake behind. A written message gets its MACs last, as they cover all
// of it, and its Noise state becomes the one the next step continues from.
HandshakeOutcome<Bytes> Handshake::finish_created(const HandshakeOutcome<void>& written, Bytes datagram,
                                                  const noise::SymmetricState& state,
                                                  std::uint32_t sender_index, State created, Time now) {
  if (!written) {
    clear();
    return written.error();
  }
  cookie_.add_macs(MutableByteView(datagram), now);

  symmetric_ = state;
  local_index_ = sender_index;
  state_ = created;
  return datagram;
}

HandshakeOutcome<void> Handshake::consume_response(const VerifiedHandshake& message) {
  auto response = decode_response(message.datagram());
  if (!response) return HandshakeError::malformed;
  // The cheap refusals first: no DH for a response we are not waiting for.
  if (state_ != State::created_initiation) return HandshakeError::wrong_state;
  if (response->receiver_index != local_index_) return HandshakeError::unknown_index;

  noise::SymmetricState state = *symmetric_;
  auto responder_ephemeral =
      noise::read_second_message(state, *ephemeral_, local_->key(), preshared_key_,
                                 noise_part(message.datagram(), kResponseNoiseOffset), MutableByteView());
  if (!responder_ephemeral) return responder_ephemeral.error();

  symmetric_ = state;
  remote_ephemeral_ = *responder_ephemeral;
  remote_index_ = response->sender_index;
  state_ = State::consumed_response;
  return {};
}

HandshakeOutcome<std::unique_ptr<Keypair>> Handshake::begin_session(Time now) {
  if (state_ != State::created_response && state_ != State::consumed_response) return HandshakeError::wrong_state;
  const bool initiator = state_ == State::consumed_response;
  noise::TransportKeys keys = symmetric_->split(initiator);
  auto keypair = std::make_unique<Keypair>(keys, local_index_, remote_index_, initiator, now);
  keys.wipe();
  clear();
  return keypair;
}

}  // namespace tether::tunnel
