#pragma once
// `tetherctl genkey`, `genpsk` and `pubkey`: byte for byte what `wg genkey`,
// `wg genpsk` and `wg pubkey` print (wireguard-tools src/genkey.c and
// src/pubkey.c), so keys move freely between tether and WireGuard configs.

#include <string>
#include <string_view>

#include "core/error.h"

namespace tether::control {

// A fresh key from the kernel's random source, as base64 plus '\n'; a
// private key (`clamp`) is clamped as X25519 wants, a preshared key is not.
Result<std::string> generate_key_text(bool clamp);

// `wg pubkey` on `input` (all of stdin): exactly 44 base64 characters, then
// nothing but whitespace or NUL bytes. Errors carry wg's own messages:
// "Key is not the correct length or format", "Trailing characters found
// after key".
Result<std::string> public_key_text(std::string_view input);

}  // namespace tether::control
