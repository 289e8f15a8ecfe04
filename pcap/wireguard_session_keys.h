#pragma once
// A WireGuard session's transport keys, recovered from a key log and the
// two handshake messages seen on the wire, by redoing one side's half of
// the handshake with impl/tunnel's own Noise code (noise.h). The minimal
// inputs are those Wireshark needs (packet-wireguard.c,
// wg_process_initiation and wg_process_response), either side's:
//
//   initiator's log: Epriv_i (LOCAL_EPHEMERAL_PRIVATE_KEY of the initiation),
//                    Spriv_i and Spub_r (its static keys);
//   responder's log: Spriv_r (to read the initiation) and Epriv_r (the
//                    LOCAL_EPHEMERAL_PRIVATE_KEY of the response).
//
// The responder's static key is found, as Wireshark finds it, by the
// initiation's mac1: the logged static public key whose mac1 key
// authenticates the message is the one it was sent to. The PSK is tried
// from the PSKs logged after either ephemeral key, then the all-zero key
// (no PSK): the one under which the response's empty payload
// authenticates.

#include <memory>
#include <optional>

#include "core/bytes.h"
#include "crypto/aead.h"
#include "crypto/x25519.h"
#include "pcap/key_log_reader.h"
#include "tunnel/noise.h"

namespace tether::pcap {

// The Noise state after an initiation, when the key log could read it.
struct WireGuardInitiationSecrets {
  crypto::PublicKey responder_static{};
  crypto::PublicKey initiator_static{};
  crypto::PublicKey initiator_ephemeral{};
  std::shared_ptr<const tunnel::noise::SymmetricState> state;  // after {timestamp}
};

// Reads a 148-byte initiation, its reserved bytes zeroed (what mac1 covers,
// and what impl/tunnel's decoders take; Cloudflare's implementation uses
// them on the wire). nullopt when the key log has no key that opens it.
std::optional<WireGuardInitiationSecrets> read_initiation(const WireGuardKeyLog& keys, ByteView initiation);

// Both directions' ciphers of a session.
struct WireGuardTransportCiphers {
  crypto::ChaChaPolyCipher initiator_to_responder;
  crypto::ChaChaPolyCipher responder_to_initiator;
};

// Finishes the handshake with its 92-byte response (reserved bytes zeroed). nullopt when neither
// side's keys are logged, or the response does not authenticate under any
// PSK.
std::unique_ptr<WireGuardTransportCiphers> read_response(const WireGuardKeyLog& keys,
                                                         const WireGuardInitiationSecrets& initiation,
                                                         ByteView response);

}  // namespace tether::pcap
