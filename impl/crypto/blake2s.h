#pragma once
// BLAKE2s (RFC 7693), WireGuard's HASH and MAC, computed by OpenSSL.
//
// HASH is BLAKE2s-256; MAC (mac1, mac2, cookies) is keyed BLAKE2s with a
// 16-byte output. A 16-byte BLAKE2s is its own function (the output length
// is mixed into the parameter block), not a truncated 32-byte one.

#include <openssl/types.h>

#include <array>
#include <cstdint>

#include "core/bytes.h"

namespace tether::crypto {

constexpr std::size_t kBlake2sHashSize = 32;
constexpr std::size_t kBlake2sMacSize = 16;
constexpr std::size_t kBlake2sMaxKeySize = 32;
using Blake2sHash = std::array<std::uint8_t, kBlake2sHashSize>;
using Blake2sMac = std::array<std::uint8_t, kBlake2sMacSize>;

// Incremental BLAKE2s-256, for hashing a message assembled from parts (the
// Noise chaining hash is HASH(h || data)) without concatenating them.
// Library failures (allocation only) throw std::runtime_error.
class Blake2sHasher {
 public:
  Blake2sHasher();
  ~Blake2sHasher();
  Blake2sHasher(const Blake2sHasher&) = delete;
  Blake2sHasher& operator=(const Blake2sHasher&) = delete;

  Blake2sHasher& update(ByteView data);
  // Returns the digest and resets the hasher for a new message.
  Blake2sHash finish();

 private:
  EVP_MD_CTX* ctx_ = nullptr;
};

Blake2sHash blake2s_256(ByteView data);
Blake2sHash blake2s_256(ByteView first, ByteView second);  // HASH(first || second)

// Keyed BLAKE2s with a 16-byte output: WireGuard's MAC(key, data). The key
// must be 1 to 32 bytes (WireGuard uses 32-byte keys and 16-byte cookies);
// anything else is a programming error and throws std::invalid_argument.
Blake2sMac blake2s_mac(ByteView key, ByteView data);

}  // namespace tether::crypto
