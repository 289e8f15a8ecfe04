#pragma once
// X25519 Diffie-Hellman (RFC 7748), the "25519" of WireGuard's Noise
// handshake, computed by OpenSSL.
//
// No randomness is drawn here: callers pass random bytes in, so the tunnel
// core stays sans-IO and simulations stay reproducible from their seed.

#include <array>
#include <cstdint>
#include <memory>

#include "core/error.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace tether::crypto {

constexpr std::size_t kX25519KeySize = 32;
using PrivateKey = std::array<std::uint8_t, kX25519KeySize>;
using PublicKey = std::array<std::uint8_t, kX25519KeySize>;
using SharedSecret = std::array<std::uint8_t, kX25519KeySize>;

// Clamps a scalar as RFC 7748 section 5 and `wg genkey` do: clear the three
// low bits (a multiple of the cofactor 8, so small-subgroup points give
// nothing away), clear bit 255 and set bit 254 (a fixed-length scalar, so
// the ladder runs the same number of steps for every key).
PrivateKey clamp_private_key(PrivateKey key);

// A private key from 32 caller-provided random bytes, clamped, so its
// base64 form is exactly what `wg genkey` would have printed for them.
PrivateKey private_key_from_random(const std::array<std::uint8_t, 32>& random_bytes);

// The public key X25519(private, 9). Unclamped input is clamped first, as
// the RFC's function does.
PublicKey derive_public_key(const PrivateKey& private_key);

// X25519(private, peer_public). Fails (ErrorCode::crypto) when the result is
// all zeros, which happens exactly when the peer sent a low-order point: the
// "secret" would then be known to everyone, and WireGuard rejects it.
Result<SharedSecret> x25519_shared_secret(const PrivateKey& private_key, const PublicKey& peer_public);

// A private key made ready for OpenSSL once, for a key that takes part in
// more than one operation: a device's static key (one DH per handshake it
// answers or completes), a handshake's ephemeral key (its public key and two
// DHs). Turning raw bytes into OpenSSL's key object computes the public key,
// a scalar multiplication as costly as a DH; the free functions above pay it
// on every call, this pays it once. The public key comes out of it for free.
class X25519PrivateKey {
 public:
  // Unclamped input is clamped when used, as with the free functions.
  // Throws std::runtime_error if OpenSSL cannot make the key (out of memory).
  explicit X25519PrivateKey(const PrivateKey& private_key);
  ~X25519PrivateKey();
  X25519PrivateKey(X25519PrivateKey&&) noexcept;
  X25519PrivateKey& operator=(X25519PrivateKey&&) noexcept;
  X25519PrivateKey(const X25519PrivateKey&) = delete;
  X25519PrivateKey& operator=(const X25519PrivateKey&) = delete;

  const PublicKey& public_key() const { return public_key_; }
  // X25519(this, peer_public), with x25519_shared_secret's low-order check.
  Result<SharedSecret> shared_secret(const PublicKey& peer_public) const;

 private:
  struct Free {
    void operator()(evp_pkey_st* key) const;
  };
  std::unique_ptr<evp_pkey_st, Free> key_;
  PublicKey public_key_{};
};

}  // namespace tether::crypto
