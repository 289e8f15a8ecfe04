#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <string>
#include <utility>

#include "crypto/hchacha20.h"
#include "crypto/openssl_error.h"

namespace tether::crypto {
namespace {

// EVP takes int lengths; WireGuard packets are far below this, but a caller
// bug must not wrap around into a short encryption.
bool fits_in_int(std::size_t n) {
  return n <= static_cast<std::size_t>(INT_MAX) - kAeadTagSize;
}

// Splits an XChaCha nonce into HChaCha20's input and the inner 12-byte
// nonce, and derives the subkey.
AeadKey xchacha_subkey(const AeadKey& key, const XChaChaNonce& nonce, ChaChaNonce& inner_nonce) {
  HChaChaInput prefix{};
  for (std::size_t i = 0; i < prefix.size(); ++i) prefix[i] = nonce[i];
  inner_nonce.fill(0);
  for (std::size_t i = 0; i < 8; ++i) inner_nonce[4 + i] = nonce[16 + i];
  return hchacha20(key, prefix);
}

}  // namespace

ChaChaNonce wireguard_nonce(std::uint64_t counter) {
  ChaChaNonce nonce{};
  store_le64(nonce.data() + 4, counter);
  return nonce;
}

ChaChaPolyCipher::ChaChaPolyCipher(const AeadKey& key) : key_(key), ctx_(EVP_CIPHER_CTX_new()) {
  // Binding the algorithm once here is what lets seal/open re-initialise
  // with a null cipher, which skips the provider lookup on every packet.
  if (ctx_ == nullptr ||
      EVP_CipherInit_ex2(ctx_, EVP_chacha20_poly1305(), key_.data(), nullptr, kSealing, nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx_);
    OPENSSL_cleanse(key_.data(), key_.size());
    throw_openssl_failure("ChaCha20-Poly1305 context setup");
  }
}

ChaChaPolyCipher::~ChaChaPolyCipher() {
  OPENSSL_cleanse(key_.data(), key_.size());
  EVP_CIPHER_CTX_free(ctx_);  // OpenSSL cleanses the context's key schedule
}

ChaChaPolyCipher::ChaChaPolyCipher(ChaChaPolyCipher&& other) noexcept
    : key_(other.key_), ctx_(std::exchange(other.ctx_, nullptr)), direction_(other.direction_) {
  OPENSSL_cleanse(other.key_.data(), other.key_.size());
}

ChaChaPolyCipher& ChaChaPolyCipher::operator=(ChaChaPolyCipher&& other) noexcept {
  if (this != &other) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    key_ = other.key_;
    direction_ = other.direction_;
    OPENSSL_cleanse(other.key_.data(), other.key_.size());
  }
  return *this;
}

const std::uint8_t* ChaChaPolyCipher::key_for(int direction) {
  // Re-initialising with only a new nonce keeps the key and is the cheapest
  // per-packet path. Switching
  // between sealing and opening re-applies the key, because the context's
  // direction is set together with it.
  if (direction == direction_) return nullptr;
  direction_ = direction;
  return key_.data();
}

Result<std::size_t> ChaChaPolyCipher::seal(const ChaChaNonce& nonce, ByteView aad, ByteView plaintext,
                                           MutableByteView out) {
  if (ctx_ == nullptr) return Error(ErrorCode::internal, "ChaCha20-Poly1305: cipher was moved from");
  if (!fits_in_int(plaintext.size()) || !fits_in_int(aad.size()))
    return Error(ErrorCode::invalid_argument, "ChaCha20-Poly1305: input too large");
  const std::size_t sealed_size = plaintext.size() + kAeadTagSize;
  if (out.size() < sealed_size)
    return Error(ErrorCode::invalid_argument, "ChaCha20-Poly1305: output buffer holds " +
                                                  std::to_string(out.size()) + " bytes, sealing needs " +
                                                  std::to_string(sealed_size));

  int len = 0;
  if (EVP_CipherInit_ex2(ctx_, nullptr, key_for(kSealing), nonce.data(), kSealing, nullptr) != 1) {
    direction_ = kUnkeyed;
    return openssl_error("ChaCha20-Poly1305 seal init");
  }
  if (!aad.empty() && EVP_EncryptUpdate(ctx_, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return openssl_error("ChaCha20-Poly1305 seal aad");
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(ctx_, out.data(), &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1)
    return openssl_error("ChaCha20-Poly1305 seal");
  if (EVP_EncryptFinal_ex(ctx_, out.data() + plaintext.size(), &len) != 1)
    return openssl_error("ChaCha20-Poly1305 seal final");
  if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize),
                          out.data() + plaintext.size()) != 1)
    return openssl_error("ChaCha20-Poly1305 tag");
  return sealed_size;
}

Result<std::size_t> ChaChaPolyCipher::seal(std::uint64_t counter, ByteView aad, ByteView plaintext,
                                           MutableByteView out) {
  return seal(wireguard_nonce(counter), aad, plaintext, out);
}

Result<std::size_t> ChaChaPolyCipher::open(const ChaChaNonce& nonce, ByteView aad, ByteView sealed,
                                           MutableByteView out) {
  if (ctx_ == nullptr) return Error(ErrorCode::internal, "ChaCha20-Poly1305: cipher was moved from");
  if (sealed.size() < kAeadTagSize)
    return Error(ErrorCode::crypto, "ChaCha20-Poly1305: " + std::to_string(sealed.size()) +
                                        " bytes is shorter than the 16-byte tag");
  if (!fits_in_int(sealed.size()) || !fits_in_int(aad.size()))
    return Error(ErrorCode::invalid_argument, "ChaCha20-Poly1305: input too large");
  const std::size_t plain_size = sealed.size() - kAeadTagSize;
  if (out.size() < plain_size)
    return Error(ErrorCode::invalid_argument, "ChaCha20-Poly1305: output buffer holds " +
                                                  std::to_string(out.size()) + " bytes, opening needs " +
                                                  std::to_string(plain_size));

  // A copy, because OpenSSL's set-tag control takes a non-const pointer.
  std::array<std::uint8_t, kAeadTagSize> tag{};
  for (std::size_t i = 0; i < kAeadTagSize; ++i) tag[i] = sealed[plain_size + i];

  int len = 0;
  if (EVP_CipherInit_ex2(ctx_, nullptr, key_for(kOpening), nonce.data(), kOpening, nullptr) != 1) {
    direction_ = kUnkeyed;
    return openssl_error("ChaCha20-Poly1305 open init");
  }
  if (!aad.empty() && EVP_DecryptUpdate(ctx_, nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1)
    return openssl_error("ChaCha20-Poly1305 open aad");
  if (plain_size != 0 &&
      EVP_DecryptUpdate(ctx_, out.data(), &len, sealed.data(), static_cast<int>(plain_size)) != 1)
    return openssl_error("ChaCha20-Poly1305 open");
  if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize), tag.data()) != 1)
    return openssl_error("ChaCha20-Poly1305 set tag");
  if (EVP_DecryptFinal_ex(ctx_, out.data() + plain_size, &len) != 1) {
    if (plain_size != 0) OPENSSL_cleanse(out.data(), plain_size);
    drain_openssl_errors();
    return Error(ErrorCode::crypto, "ChaCha20-Poly1305 authentication failed");
  }
  return plain_size;
}

Result<std::size_t> ChaChaPolyCipher::open(std::uint64_t counter, ByteView aad, ByteView sealed,
                                           MutableByteView out) {
  return open(wireguard_nonce(counter), aad, sealed, out);
}

Bytes chacha20_poly1305_seal(const AeadKey& key, const ChaChaNonce& nonce, ByteView aad, ByteView plaintext) {
  ChaChaPolyCipher cipher(key);
  Bytes out(plaintext.size() + kAeadTagSize);
  Result<std::size_t> n = cipher.seal(nonce, aad, plaintext, out);
  if (!n) throw_openssl_failure(n.error().message);
  return out;
}

Result<Bytes> chacha20_poly1305_open(const AeadKey& key, const ChaChaNonce& nonce, ByteView aad,
                                     ByteView sealed) {
  if (sealed.size() < kAeadTagSize)
    return Error(ErrorCode::crypto, "ChaCha20-Poly1305: " + std::to_string(sealed.size()) +
                                        " bytes is shorter than the 16-byte tag");
  ChaChaPolyCipher cipher(key);
  Bytes out(sealed.size() - kAeadTagSize);
  Result<std::size_t> n = cipher.open(nonce, aad, sealed, out);
  if (!n) return n.error();
  return out;
}

Bytes xchacha20_poly1305_seal(const AeadKey& key, const XChaChaNonce& nonce, ByteView aad,
                              ByteView plaintext) {
  ChaChaNonce inner_nonce{};
  AeadKey subkey = xchacha_subkey(key, nonce, inner_nonce);
  Bytes out = chacha20_poly1305_seal(subkey, inner_nonce, aad, plaintext);
  OPENSSL_cleanse(subkey.data(), subkey.size());
  return out;
}

Result<Bytes> xchacha20_poly1305_open(const AeadKey& key, const XChaChaNonce& nonce, ByteView aad,
                                      ByteView sealed) {
  ChaChaNonce inner_nonce{};
  AeadKey subkey = xchacha_subkey(key, nonce, inner_nonce);
  Result<Bytes> out = chacha20_poly1305_open(subkey, inner_nonce, aad, sealed);
  OPENSSL_cleanse(subkey.data(), subkey.size());
  return out;
}

}  // namespace tether::crypto
