#pragma once
// ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305
// (draft-irtf-cfrg-xchacha-03): WireGuard's "ChaChaPoly" and the cipher of
// its cookie replies.
//
// Sealed output is ciphertext || 16-byte tag, as on WireGuard's wire.
// ChaChaPolyCipher is the per-packet path: it keeps one EVP_CIPHER_CTX for
// its key and writes into a caller buffer, so a transport packet costs no
// allocation and no algorithm lookup. The free functions allocate and are
// for handshakes, cookies and tests.

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"

namespace tether::crypto {

constexpr std::size_t kAeadKeySize = 32;
constexpr std::size_t kAeadTagSize = 16;
constexpr std::size_t kChaChaNonceSize = 12;
constexpr std::size_t kXChaChaNonceSize = 24;

using AeadKey = std::array<std::uint8_t, kAeadKeySize>;
using ChaChaNonce = std::array<std::uint8_t, kChaChaNonceSize>;
using XChaChaNonce = std::array<std::uint8_t, kXChaChaNonceSize>;

// WireGuard's nonce for a message counter: 4 zero bytes || little-endian
// u64. (Counters never repeat under one key, which is what makes a
// deterministic nonce safe.)
ChaChaNonce wireguard_nonce(std::uint64_t counter);

class ChaChaPolyCipher {
 public:
  // Throws std::runtime_error only if OpenSSL cannot allocate a context.
  explicit ChaChaPolyCipher(const AeadKey& key);
  ~ChaChaPolyCipher();  // wipes the key
  ChaChaPolyCipher(ChaChaPolyCipher&& other) noexcept;
  ChaChaPolyCipher& operator=(ChaChaPolyCipher&& other) noexcept;
  ChaChaPolyCipher(const ChaChaPolyCipher&) = delete;
  ChaChaPolyCipher& operator=(const ChaChaPolyCipher&) = delete;

  // Writes ciphertext || tag into out (which needs plaintext.size() + 16
  // bytes) and returns the number of bytes written. out may start at
  // plaintext.data() (in-place encryption); any other overlap is refused.
  Result<std::size_t> seal(const ChaChaNonce& nonce, ByteView aad, ByteView plaintext, MutableByteView out);
  Result<std::size_t> seal(std::uint64_t counter, ByteView aad, ByteView plaintext, MutableByteView out);

  // Verifies and decrypts ciphertext || tag into out (which needs
  // sealed.size() - 16 bytes); returns the plaintext length. On an
  // authentication failure (ErrorCode::crypto) out is wiped, so forged
  // plaintext never escapes. out may start at sealed.data().
  Result<std::size_t> open(const ChaChaNonce& nonce, ByteView aad, ByteView sealed, MutableByteView out);
  Result<std::size_t> open(std::uint64_t counter, ByteView aad, ByteView sealed, MutableByteView out);

 private:
  static constexpr int kOpening = 0;  // EVP's "enc" flag values
  static constexpr int kSealing = 1;
  static constexpr int kUnkeyed = -1;  // after a failed init: re-key next time
  // The key to pass to EVP for a call in this direction: null when the
  // context is already keyed for it.
  const std::uint8_t* key_for(int direction);

  AeadKey key_{};
  EVP_CIPHER_CTX* ctx_ = nullptr;
  int direction_ = kSealing;
};

// Allocating forms. Sealing cannot fail on valid input; a library failure
// throws std::runtime_error. Opening fails with ErrorCode::crypto when the
// tag does not verify (or the input is shorter than a tag).
Bytes chacha20_poly1305_seal(const AeadKey& key, const ChaChaNonce& nonce, ByteView aad, ByteView plaintext);
Result<Bytes> chacha20_poly1305_open(const AeadKey& key, const ChaChaNonce& nonce, ByteView aad,
                                     ByteView sealed);

// XChaCha20-Poly1305: ChaCha20-Poly1305 under the key HChaCha20(key,
// nonce[0..16]) with nonce 4 zero bytes || nonce[16..24]. Its 24-byte nonce
// can be drawn at random without fear of a collision.
Bytes xchacha20_poly1305_seal(const AeadKey& key, const XChaChaNonce& nonce, ByteView aad,
                              ByteView plaintext);
Result<Bytes> xchacha20_poly1305_open(const AeadKey& key, const XChaChaNonce& nonce, ByteView aad,
                                      ByteView sealed);

}  // namespace tether::crypto
