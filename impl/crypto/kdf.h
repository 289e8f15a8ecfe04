#pragma once
// HMAC-BLAKE2s and WireGuard's KDF1/KDF2/KDF3 (whitepaper section 5.4,
// wireguard-go device/noise-helpers.go): HKDF (RFC 5869) with HMAC over
// BLAKE2s-256 (64-byte block), the chaining key as HKDF's salt and the
// input as its keying material, and an empty info string.

#include <array>

#include "core/bytes.h"
#include "crypto/blake2s.h"

namespace tether::crypto {

// HMAC(key, data) with BLAKE2s-256. Keys longer than 64 bytes are hashed
// first, as RFC 2104 says.
Blake2sHash hmac_blake2s(ByteView key, ByteView data);

// KDFn(key, input) -> n 32-byte values:
//   prk = HMAC(key, input); t1 = HMAC(prk, 0x01); ti = HMAC(prk, t(i-1) || i)
// The intermediate prk is wiped before returning.
std::array<Blake2sHash, 1> kdf1(ByteView key, ByteView input);
std::array<Blake2sHash, 2> kdf2(ByteView key, ByteView input);
std::array<Blake2sHash, 3> kdf3(ByteView key, ByteView input);

}  // namespace tether::crypto
