#pragma once
// Wireshark's WireGuard key log (`tshark -o wg.keylog_file:FILE`): lines
// `NAME = <base64 key>`, the format of wireguard-tools'
// contrib/extract-handshakes and of Wireshark's packet-wireguard.c:
//
//   LOCAL_STATIC_PRIVATE_KEY = ...
//   REMOTE_STATIC_PUBLIC_KEY = ...
//   LOCAL_EPHEMERAL_PRIVATE_KEY = ...
//   PRESHARED_KEY = ...
//
// With the static and ephemeral private keys of one side, Wireshark redoes
// that side's half of the handshake, derives the session keys and decrypts
// the transport messages of that session. The device emits one such block
// for every initiation or response it creates, when asked to (it puts
// private keys in the output: a debugging aid, off by default).

#include <optional>
#include <string>
#include <vector>

#include "crypto/base64_key.h"
#include "crypto/x25519.h"

namespace tether::tunnel {

// The lines for one handshake message we sent, without newlines. The
// PRESHARED_KEY line only when a PSK is configured.
std::vector<std::string> key_log_lines(const crypto::PrivateKey& local_static_private,
                                       const crypto::PublicKey& remote_static_public,
                                       const crypto::PrivateKey& local_ephemeral_private,
                                       const std::optional<crypto::Key32>& preshared_key);

}  // namespace tether::tunnel
