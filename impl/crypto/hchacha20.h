#pragma once
// HChaCha20 (draft-irtf-cfrg-xchacha-03 section 2.2): derives a subkey from
// a key and the first 16 bytes of a 24-byte nonce. It is what turns
// ChaCha20-Poly1305 into XChaCha20-Poly1305, whose nonce is long enough to
// pick at random (WireGuard cookie replies). OpenSSL does not expose it.

#include <array>
#include <cstdint>

namespace tether::crypto {

using HChaChaKey = std::array<std::uint8_t, 32>;
using HChaChaInput = std::array<std::uint8_t, 16>;
using HChaChaOutput = std::array<std::uint8_t, 32>;

HChaChaOutput hchacha20(const HChaChaKey& key, const HChaChaInput& nonce_prefix);

}  // namespace tether::crypto
