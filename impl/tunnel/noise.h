#pragma once
// Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, the handshake pattern WireGuard
// runs (whitepaper 5.4; the Noise spec's IKpsk2):
//
//   <- s
//   ...
//   -> e, es, s, ss, {payload}          (WireGuard: payload = TAI64N stamp)
//   <- e, ee, se, psk, {payload}        (WireGuard: payload empty)
//
// This layer knows the pattern and nothing of WireGuard's framing: the
// prologue and payloads are parameters. WireGuard passes its identifier as
// the prologue, a 12-byte timestamp and an empty payload; the public Noise
// test vectors pass their own, which is how the same code is checked byte
// for byte against the cacophony suite. handshake.cc frames these bytes
// into WireGuard's messages.
//
// Each AEAD key here encrypts exactly one message, so every nonce is 0, as
// in Linux and wireguard-go. A "psk" handshake in Noise also mixes each
// ephemeral key into the chaining key; WireGuard's KDF1(C, E) is that step.

#include <cstdint>
#include <iosfwd>
#include <string_view>

#include "core/bytes.h"
#include "crypto/aead.h"
#include "crypto/base64_key.h"
#include "crypto/blake2s.h"
#include "crypto/x25519.h"
#include "tunnel/outcome.h"

namespace tether::tunnel {

// Why a handshake step refused a message or could not run. Plain codes, no
// strings: a handshake flood should cost no allocation beyond the DH.
enum class HandshakeError : std::uint8_t {
  malformed,           // not a well-formed message of the expected type and size
  wrong_state,         // not expected now (e.g. a response with no initiation outstanding)
  unknown_index,       // a response whose receiver index is not our outstanding initiation
  low_order_key,       // a DH gave all zeros: a low-order public key
  bad_static,          // the encrypted static key did not authenticate
  unknown_peer,        // the static key authenticated but is no configured peer
  bad_timestamp,       // the encrypted timestamp did not authenticate
  replayed_timestamp,  // the timestamp is not newer than the newest seen from the peer
  flood,               // an initiation less than 20 ms after the last one accepted
  bad_response,        // the response's empty payload did not authenticate (keys or PSK differ)
};
const char* to_string(HandshakeError error);
std::ostream& operator<<(std::ostream& os, HandshakeError error);

template <typename T>
using HandshakeOutcome = Outcome<T, HandshakeError>;

namespace noise {

inline constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
inline constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";

constexpr std::size_t kKeySize = 32;
constexpr std::size_t kTagSize = crypto::kAeadTagSize;
// e || {s} || {payload}
constexpr std::size_t first_message_size(std::size_t payload) { return kKeySize + (kKeySize + kTagSize) + payload + kTagSize; }
// e || {payload}
constexpr std::size_t second_message_size(std::size_t payload) { return kKeySize + payload + kTagSize; }

// The two directions' keys from Split(): the initiator sends with the first
// KDF2 output, the responder with the second.
struct TransportKeys {
  crypto::AeadKey send{};
  crypto::AeadKey receive{};
  void wipe();
};

// Noise's SymmetricState (chaining key, handshake hash, current key) for
// this protocol. Copyable, so a step can run on a copy and leave the
// original untouched when the message turns out to be forged. Wipes itself
// on destruction.
class SymmetricState {
 public:
  // InitializeSymmetric(construction), MixHash(prologue), and the
  // pre-message "<- s": MixHash(responder's static public key).
  SymmetricState(ByteView prologue, const crypto::PublicKey& responder_static);
  SymmetricState(const SymmetricState&) = default;
  SymmetricState& operator=(const SymmetricState&) = default;
  ~SymmetricState();

  const crypto::Blake2sHash& chaining_key() const { return chaining_key_; }
  const crypto::Blake2sHash& hash() const { return hash_; }

  void mix_hash(ByteView data);
  // The "e" token of a psk pattern: MixHash(e), then C = KDF1(C, e).
  void mix_ephemeral(const crypto::PublicKey& ephemeral);
  // DH tokens (es, ee, se, ss): C, k = KDF2(C, DH(private, public)). False,
  // with the state unchanged, when the DH is all zeros.
  bool mix_dh(const crypto::X25519PrivateKey& private_key, const crypto::PublicKey& public_key);
  // The same with a DH computed earlier (WireGuard precomputes ss per peer).
  bool mix_precomputed_dh(const crypto::SharedSecret& shared);
  // The "psk" token: C, t, k = KDF3(C, psk); MixHash(t).
  void mix_psk(const crypto::Key32& psk);
  // EncryptAndHash: out = AEAD(k, 0, plaintext, h) (plaintext.size() + 16
  // bytes); h = HASH(h || out).
  void encrypt_and_hash(ByteView plaintext, MutableByteView out);
  // DecryptAndHash. False (state unchanged, out wiped) if it does not authenticate.
  bool decrypt_and_hash(ByteView ciphertext, MutableByteView out);
  // Split(): both directions' keys.
  TransportKeys split(bool initiator) const;

  void wipe();

 private:
  crypto::Blake2sHash chaining_key_{};
  crypto::Blake2sHash hash_{};
  crypto::AeadKey key_{};
};

// Private keys come as X25519PrivateKey, made once by the caller: the
// ephemeral key serves its public key and one or two DHs, the static key a
// DH in every handshake.
//
// Initiator, first message: writes first_message_size(payload.size())
// bytes to out. `static_static` is DH(initiator static, responder static).
HandshakeOutcome<void> write_first_message(SymmetricState& state, const crypto::X25519PrivateKey& ephemeral,
                                           const crypto::PublicKey& initiator_static_public,
                                           const crypto::PublicKey& responder_static,
                                           const crypto::SharedSecret& static_static, ByteView payload,
                                           MutableByteView out);

// Responder, first message, in two halves around the peer lookup: the
// first learns who claims to be initiating (e, es, s), the second finishes
// (ss, payload) with that peer's precomputed static-static DH.
struct FirstMessageIdentity {
  crypto::PublicKey ephemeral{};
  crypto::PublicKey initiator_static{};
};
HandshakeOutcome<FirstMessageIdentity> read_first_message_identity(SymmetricState& state,
                                                                   const crypto::X25519PrivateKey& responder_static,
                                                                   ByteView message);
// `payload` receives message.size() - first_message_size(0) bytes.
HandshakeOutcome<void> read_first_message_payload(SymmetricState& state, const crypto::SharedSecret& static_static,
                                                  ByteView message, MutableByteView payload);

// Responder, second message: writes second_message_size(payload.size()) bytes.
HandshakeOutcome<void> write_second_message(SymmetricState& state, const crypto::X25519PrivateKey& ephemeral,
                                            const crypto::PublicKey& initiator_ephemeral,
                                            const crypto::PublicKey& initiator_static, const crypto::Key32& psk,
                                            ByteView payload, MutableByteView out);

// Initiator, second message: returns the responder's ephemeral key;
// `payload` receives message.size() - second_message_size(0) bytes.
HandshakeOutcome<crypto::PublicKey> read_second_message(SymmetricState& state,
                                                        const crypto::X25519PrivateKey& ephemeral,
                                                        const crypto::X25519PrivateKey& initiator_static,
                                                        const crypto::Key32& psk, ByteView message,
                                                        MutableByteView payload);

}  // namespace noise
}  // namespace tether::tunnel
