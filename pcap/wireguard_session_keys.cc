#include "pcap/wireguard_session_keys.h"

#include <algorithm>

#include "crypto/blake2s.h"
#include "crypto/tai64n.h"
#include "tunnel/cookie.h"
#include "tunnel/messages.h"

namespace tether::pcap {
namespace {

namespace noise = tunnel::noise;

// Where the Noise bytes sit in each message: they end at mac1 and are
// exactly as long as the pattern's message (e, {s}, {timestamp}; e, {}),
// so the sizes of noise.h and the MAC layout of messages.h place them.
constexpr std::size_t kInitiationNoiseSize = noise::first_message_size(tunnel::kTimestampSize);
constexpr std::size_t kResponseNoiseSize = noise::second_message_size(0);

ByteView noise_part(ByteView message, std::size_t size) {
  auto layout = tunnel::mac_layout(message);
  return message.subview(layout->mac1_offset - size, size);
}

// The logged static public key the message's mac1 was computed for.
const WireGuardKeyLog::StaticKey* mac1_receiver(const WireGuardKeyLog& keys, ByteView message) {
  auto spans = tunnel::mac_spans(message);
  if (!spans) return nullptr;
  for (const auto& [public_key, key] : keys.static_keys()) {
    const crypto::Blake2sHash mac_key = tunnel::mac1_key(public_key);
    const crypto::Blake2sMac mac = crypto::blake2s_mac(mac_key, spans->mac1_input);
    if (std::equal(mac.begin(), mac.end(), spans->mac1.begin())) return &key;
  }
  return nullptr;
}

crypto::PublicKey key_at(ByteView bytes) {
  crypto::PublicKey key{};
  std::copy(bytes.begin(), bytes.begin() + key.size(), key.begin());
  return key;
}

// The PSKs to try for a response, in Wireshark's order (wg_psk_iter_next):
// those logged with the initiator's ephemeral key, the responder's, then none.
std::vector<crypto::Key32> psk_candidates(const WireGuardKeyLog::EphemeralKey* initiator,
                                          const WireGuardKeyLog::EphemeralKey* responder) {
  std::vector<crypto::Key32> out;
  if (initiator) out.insert(out.end(), initiator->preshared_keys.begin(), initiator->preshared_keys.end());
  if (responder) out.insert(out.end(), responder->preshared_keys.begin(), responder->preshared_keys.end());
  out.push_back(crypto::Key32{});
  return out;
}

}  // namespace

std::optional<WireGuardInitiationSecrets> read_initiation(const WireGuardKeyLog& keys, ByteView message) {
  if (!tunnel::decode_initiation(message)) return std::nullopt;
  const WireGuardKeyLog::StaticKey* responder = mac1_receiver(keys, message);
  if (!responder) return std::nullopt;
  const ByteView body = noise_part(message, kInitiationNoiseSize);

  WireGuardInitiationSecrets out;
  out.responder_static = responder->public_key;
  out.initiator_ephemeral = key_at(body);
  auto state = std::make_shared<noise::SymmetricState>(ByteView(noise::kIdentifier), responder->public_key);
  crypto::Tai64n stamp{};

  if (responder->private_key) {
    // The responder's log: read it as the responder does (handshake.cc,
    // consume_initiation).
    crypto::X25519PrivateKey responder_private(*responder->private_key);
    auto identity = noise::read_first_message_identity(*state, responder_private, body);
    if (!identity) return std::nullopt;
    auto static_static = responder_private.shared_secret(identity->initiator_static);
    if (!static_static) return std::nullopt;
    if (!noise::read_first_message_payload(*state, *static_static, body, MutableByteView(stamp))) return std::nullopt;
    out.initiator_static = identity->initiator_static;
  } else {
    // The initiator's log: its ephemeral and static private keys stand in
    // for the responder's in each DH, DH being symmetric.
    const WireGuardKeyLog::EphemeralKey* ephemeral = keys.find_ephemeral(out.initiator_ephemeral);
    if (!ephemeral) return std::nullopt;
    crypto::X25519PrivateKey ephemeral_private(ephemeral->private_key);
    state->mix_ephemeral(out.initiator_ephemeral);
    if (!state->mix_dh(ephemeral_private, responder->public_key)) return std::nullopt;
    const ByteView encrypted_static = body.subview(noise::kKeySize, noise::kKeySize + noise::kTagSize);
    if (!state->decrypt_and_hash(encrypted_static, MutableByteView(out.initiator_static))) return std::nullopt;
    const WireGuardKeyLog::StaticKey* initiator = keys.find_static(out.initiator_static);
    if (!initiator || !initiator->private_key) return std::nullopt;
    crypto::X25519PrivateKey initiator_private(*initiator->private_key);
    if (!state->mix_dh(initiator_private, responder->public_key)) return std::nullopt;
    if (!state->decrypt_and_hash(body.subview(noise::first_message_size(0) - noise::kTagSize), MutableByteView(stamp)))
      return std::nullopt;
  }
  out.state = std::move(state);
  return out;
}

std::unique_ptr<WireGuardTransportCiphers> read_response(const WireGuardKeyLog& keys,
                                                         const WireGuardInitiationSecrets& initiation,
                                                         ByteView message) {
  if (!tunnel::decode_response(message)) return nullptr;
  const ByteView body = noise_part(message, kResponseNoiseSize);
  const crypto::PublicKey responder_ephemeral = key_at(body);

  const WireGuardKeyLog::EphemeralKey* ephemeral_i = keys.find_ephemeral(initiation.initiator_ephemeral);
  const WireGuardKeyLog::StaticKey* static_i = keys.find_static(initiation.initiator_static);
  const WireGuardKeyLog::EphemeralKey* ephemeral_r = keys.find_ephemeral(responder_ephemeral);
  const bool as_initiator = ephemeral_i && static_i && static_i->private_key;
  if (!as_initiator && !ephemeral_r) return nullptr;

  for (const crypto::Key32& psk : psk_candidates(ephemeral_i, ephemeral_r)) {
    noise::SymmetricState state = *initiation.state;
    bool authenticated = false;
    if (as_initiator) {
      // handshake.cc, consume_response.
      crypto::X25519PrivateKey e(ephemeral_i->private_key), s(*static_i->private_key);
      authenticated = noise::read_second_message(state, e, s, psk, body, MutableByteView()).ok();
    } else {
      // The responder's side: write the response again (handshake.cc,
      // create_response) and compare: the AEAD is deterministic, so the
      // right PSK gives the very bytes on the wire.
      crypto::X25519PrivateKey e(ephemeral_r->private_key);
      Bytes rewritten(kResponseNoiseSize);
      authenticated = noise::write_second_message(state, e, initiation.initiator_ephemeral, initiation.initiator_static,
                                                  psk, ByteView(), MutableByteView(rewritten))
                          .ok() &&
                      ByteView(rewritten) == body;
    }
    if (!authenticated) continue;
    noise::TransportKeys initiator_keys = state.split(/*initiator=*/true);
    auto ciphers = std::unique_ptr<WireGuardTransportCiphers>(
        new WireGuardTransportCiphers{crypto::ChaChaPolyCipher(initiator_keys.send),
                                      crypto::ChaChaPolyCipher(initiator_keys.receive)});
    initiator_keys.wipe();
    return ciphers;
  }
  return nullptr;
}

}  // namespace tether::pcap
