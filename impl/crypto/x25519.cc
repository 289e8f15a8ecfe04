#include "crypto/x25519.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>

#include "crypto/openssl_error.h"

namespace tether::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

PkeyPtr private_pkey(const PrivateKey& key) {
  // OpenSSL clamps the scalar itself when it computes, so raw RFC 7748
  // test scalars (unclamped) give the RFC's answers.
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, key.data(), key.size()));
  if (!pkey) throw_openssl_failure("X25519 private key setup");
  return pkey;
}

}  // namespace

PrivateKey clamp_private_key(PrivateKey key) {
  key[0] &= 248;
  key[31] &= 127;
  key[31] |= 64;
  return key;
}

PrivateKey private_key_from_random(const std::array<std::uint8_t, 32>& random_bytes) {
  return clamp_private_key(random_bytes);
}

PublicKey derive_public_key(const PrivateKey& private_key) { return X25519PrivateKey(private_key).public_key(); }

Result<SharedSecret> x25519_shared_secret(const PrivateKey& private_key, const PublicKey& peer_public) {
  return X25519PrivateKey(private_key).shared_secret(peer_public);
}

void X25519PrivateKey::Free::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

X25519PrivateKey::X25519PrivateKey(const PrivateKey& private_key) : key_(private_pkey(private_key).release()) {
  std::size_t len = public_key_.size();
  if (EVP_PKEY_get_raw_public_key(key_.get(), public_key_.data(), &len) != 1 || len != public_key_.size())
    throw_openssl_failure("X25519 public key derivation");
}

X25519PrivateKey::~X25519PrivateKey() = default;  // EVP_PKEY_free cleanses the scalar
X25519PrivateKey::X25519PrivateKey(X25519PrivateKey&&) noexcept = default;
X25519PrivateKey& X25519PrivateKey::operator=(X25519PrivateKey&&) noexcept = default;

Result<SharedSecret> X25519PrivateKey::shared_secret(const PublicKey& peer_public) const {
  PkeyPtr theirs(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(), peer_public.size()));
  if (!theirs) return openssl_error("X25519 peer public key");
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1) return openssl_error("X25519 derive setup");
  if (EVP_PKEY_derive_set_peer(ctx.get(), theirs.get()) != 1) return openssl_error("X25519 peer public key");

  SharedSecret out{};
  std::size_t len = out.size();
  const int derived = EVP_PKEY_derive(ctx.get(), out.data(), &len);
  // OpenSSL already refuses an all-zero result; check again ourselves so the
  // guarantee does not rest on a library detail.
  std::uint8_t any_bit = 0;
  for (std::uint8_t b : out) any_bit |= b;
  if (derived != 1 || len != out.size() || any_bit == 0) {
    OPENSSL_cleanse(out.data(), out.size());
    drain_openssl_errors();
    return Error(ErrorCode::crypto,
                 "X25519 shared secret is all zeros: the peer's public key is a low-order point");
  }
  Result<SharedSecret> result(out);
  OPENSSL_cleanse(out.data(), out.size());
  return result;
}

}  // namespace tether::crypto
