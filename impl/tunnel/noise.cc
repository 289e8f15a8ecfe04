#include "tunnel/noise.h"

#include <algorithm>
#include <ostream>

#include "crypto/constant_time.h"
#include "crypto/kdf.h"

namespace tether::tunnel {

const char* to_string(HandshakeError error) {
  switch (error) {
    case HandshakeError::malformed: return "malformed handshake message";
    case HandshakeError::wrong_state: return "handshake message not expected in this state";
    case HandshakeError::unknown_index: return "response to no outstanding initiation";
    case HandshakeError::low_order_key: return "low-order public key";
    case HandshakeError::bad_static: return "encrypted static key did not authenticate";
    case HandshakeError::unknown_peer: return "initiation from an unknown static key";
    case HandshakeError::bad_timestamp: return "encrypted timestamp did not authenticate";
    case HandshakeError::replayed_timestamp: return "initiation timestamp not newer than the last one";
    case HandshakeError::flood: return "initiations from the peer too close together";
    case HandshakeError::bad_response: return "handshake response did not authenticate";
  }
  return "unknown handshake error";
}

std::ostream& operator<<(std::ostream& os, HandshakeError error) { return os << to_string(error); }

namespace noise {
namespace {

template <std::size_t N>
void wipe(std::array<std::uint8_t, N>& a) {
  crypto::secure_wipe(MutableByteView(a));
}

const crypto::ChaChaNonce kZeroNonce{};

void copy_into(ByteView from, MutableByteView to) { std::copy(from.begin(), from.end(), to.begin()); }

crypto::PublicKey key_at(ByteView message, std::size_t offset) {
  crypto::PublicKey key{};
  copy_into(message.subview(offset, kKeySize), MutableByteView(key));
  return key;
}

MutableByteView mutable_subview(MutableByteView v, std::size_t offset, std::size_t count) {
  return MutableByteView(v.data() + offset, count);
}

}  // namespace

void TransportKeys::wipe() {
  noise::wipe(send);
  noise::wipe(receive);
}

SymmetricState::SymmetricState(ByteView prologue, const crypto::PublicKey& responder_static) {
  // The construction name is longer than a hash, so Noise hashes it; the
  // chaining key starts equal to the hash.
  chaining_key_ = crypto::blake2s_256(ByteView(kConstruction));
  hash_ = crypto::blake2s_256(chaining_key_, prologue);
  mix_hash(responder_static);
}

SymmetricState::~SymmetricState() { wipe(); }

void SymmetricState::wipe() {
  noise::wipe(chaining_key_);
  noise::wipe(hash_);
  noise::wipe(key_);
}

void SymmetricState::mix_hash(ByteView data) { hash_ = crypto::blake2s_256(hash_, data); }

void SymmetricState::mix_ephemeral(const crypto::PublicKey& ephemeral) {
  mix_hash(ephemeral);
  auto out = crypto::kdf1(chaining_key_, ephemeral);
  chaining_key_ = out[0];
  noise::wipe(out[0]);
}

bool SymmetricState::mix_dh(const crypto::X25519PrivateKey& private_key, const crypto::PublicKey& public_key) {
  auto shared = private_key.shared_secret(public_key);
  if (!shared) return false;
  const bool mixed = mix_precomputed_dh(*shared);
  noise::wipe(*shared);
  return mixed;
}

bool SymmetricState::mix_precomputed_dh(const crypto::SharedSecret& shared) {
  // A peer whose static key is a low-order point leaves a zero precomputed
  // DH behind (Linux keeps it that way); refuse it here, in constant time.
  static const crypto::SharedSecret kZero{};
  if (crypto::constant_time_equal(shared, kZero)) return false;
  auto out = crypto::kdf2(chaining_key_, shared);
  chaining_key_ = out[0];
  key_ = out[1];
  noise::wipe(out[0]);
  noise::wipe(out[1]);
  return true;
}

void SymmetricState::mix_psk(const crypto::Key32& psk) {
  auto out = crypto::kdf3(chaining_key_, psk);
  chaining_key_ = out[0];
  mix_hash(out[1]);
  key_ = out[2];
  for (auto& o : out) noise::wipe(o);
}

void SymmetricState::encrypt_and_hash(ByteView plaintext, MutableByteView out) {
  Bytes sealed = crypto::chacha20_poly1305_seal(key_, kZeroNonce, hash_, plaintext);
  copy_into(sealed, out);
  mix_hash(sealed);
}

bool SymmetricState::decrypt_and_hash(ByteView ciphertext, MutableByteView out) {
  auto opened = crypto::chacha20_poly1305_open(key_, kZeroNonce, hash_, ciphertext);
  if (!opened || opened->size() != out.size()) {
    crypto::secure_wipe(out);
    return false;
  }
  copy_into(*opened, out);
  crypto::secure_wipe(MutableByteView(*opened));
  mix_hash(ciphertext);
  return true;
}

TransportKeys SymmetricState::split(bool initiator) const {
  auto out = crypto::kdf2(chaining_key_, ByteView());
  TransportKeys keys;
  keys.send = initiator ? out[0] : out[1];
  keys.receive = initiator ? out[1] : out[0];
  noise::wipe(out[0]);
  noise::wipe(out[1]);
  return keys;
}

HandshakeOutcome<void> write_first_message(SymmetricState& state, const crypto::X25519PrivateKey& ephemeral,
                                           const crypto::PublicKey& initiator_static_public,
                                           const crypto::PublicKey& responder_static,
                                           const crypto::SharedSecret& static_static, ByteView payload,
                                           MutableByteView out) {
  if (out.size() != first_message_size(payload.size())) return HandshakeError::malformed;
  // e
  copy_into(ephemeral.public_key(), mutable_subview(out, 0, kKeySize));
  state.mix_ephemeral(ephemeral.public_key());
  // es
  if (!state.mix_dh(ephemeral, responder_static)) return HandshakeError::low_order_key;
  // s
  state.encrypt_and_hash(initiator_static_public, mutable_subview(out, kKeySize, kKeySize + kTagSize));
  // ss
  if (!state.mix_precomputed_dh(static_static)) return HandshakeError::low_order_key;
  // {payload}
  state.encrypt_and_hash(payload, mutable_subview(out, first_message_size(0) - kTagSize, payload.size() + kTagSize));
  return {};
}

HandshakeOutcome<FirstMessageIdentity> read_first_message_identity(SymmetricState& state,
                                                                   const crypto::X25519PrivateKey& responder_static,
                                                                   ByteView message) {
  if (message.size() < first_message_size(0)) return HandshakeError::malformed;
  FirstMessageIdentity id;
  // e
  id.ephemeral = key_at(message, 0);
  state.mix_ephemeral(id.ephemeral);
  // es
  if (!state.mix_dh(responder_static, id.ephemeral)) return HandshakeError::low_order_key;
  // s
  if (!state.decrypt_and_hash(message.subview(kKeySize, kKeySize + kTagSize), MutableByteView(id.initiator_static)))
    return HandshakeError::bad_static;
  return id;
}

HandshakeOutcome<void> read_first_message_payload(SymmetricState& state, const crypto::SharedSecret& static_static,
                                                  ByteView message, MutableByteView payload) {
  if (message.size() < first_message_size(0) || payload.size() != message.size() - first_message_size(0))
    return HandshakeError::malformed;
  // ss
  if (!state.mix_precomputed_dh(static_static)) return HandshakeError::low_order_key;
  // {payload}
  if (!state.decrypt_and_hash(message.subview(first_message_size(0) - kTagSize), payload))
    return HandshakeError::bad_timestamp;
  return {};
}

HandshakeOutcome<void> write_second_message(SymmetricState& state, const crypto::X25519PrivateKey& ephemeral,
                                            const crypto::PublicKey& initiator_ephemeral,
                                            const crypto::PublicKey& initiator_static, const crypto::Key32& psk,
                                            ByteView payload, MutableByteView out) {
  if (out.size() != second_message_size(payload.size())) return HandshakeError::malformed;
  // e
  copy_into(ephemeral.public_key(), mutable_subview(out, 0, kKeySize));
  state.mix_ephemeral(ephemeral.public_key());
  // ee, se
  if (!state.mix_dh(ephemeral, initiator_ephemeral)) return HandshakeError::low_order_key;
  if (!state.mix_dh(ephemeral, initiator_static)) return HandshakeError::low_order_key;
  // psk
  state.mix_psk(psk);
  // {payload}
  state.encrypt_and_hash(payload, mutable_subview(out, kKeySize, payload.size() + kTagSize));
  return {};
}

HandshakeOutcome<crypto::PublicKey> read_second_message(SymmetricState& state,
                                                        const crypto::X25519PrivateKey& ephemeral,
                                                        const crypto::X25519PrivateKey& initiator_static,
                                                        const crypto::Key32& psk, ByteView message,
                                                        MutableByteView payload) {
  if (message.size() < second_message_size(0) || payload.size() != message.size() - second_message_size(0))
    return HandshakeError::malformed;
  // e
  const crypto::PublicKey responder_ephemeral = key_at(message, 0);
  state.mix_ephemeral(responder_ephemeral);
  // ee, se
  if (!state.mix_dh(ephemeral, responder_ephemeral)) return HandshakeError::low_order_key;
  if (!state.mix_dh(initiator_static, responder_ephemeral)) return HandshakeError::low_order_key;
  // psk
  state.mix_psk(psk);
  // {payload}
  if (!state.decrypt_and_hash(message.subview(kKeySize), payload)) return HandshakeError::bad_response;
  return responder_ephemeral;
}

}  // namespace noise
}  // namespace tether::tunnel
