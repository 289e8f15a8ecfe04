#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/openssl_error.h"

namespace tether::crypto {
namespace {

// Fetched once per process (see blake2s.cc); a KDF3 is four HMACs.
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) throw_openssl_failure("HMAC is not available in this OpenSSL");
  return mac;
}

// One HMAC-BLAKE2s context per thread, its digest chosen once: setting
// the digest by name fetches it from the provider on every init, which
// cost as much as the hashing (a handshake makes about sixty HMACs).
class HmacContext {
 public:
  HmacContext() : ctx_(EVP_MAC_CTX_new(hmac_algorithm())) {
    char digest_name[] = "BLAKE2S-256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                           OSSL_PARAM_construct_end()};
    if (ctx_ == nullptr || EVP_MAC_CTX_set_params(ctx_, params) != 1)
      throw_openssl_failure("HMAC-BLAKE2s context");
  }
  // The keyed state of the last HMAC stays until the next one replaces it;
  // the handshake that asked for it holds the same keys anyway.
  ~HmacContext() { EVP_MAC_CTX_free(ctx_); }
  HmacContext(const HmacContext&) = delete;
  HmacContext& operator=(const HmacContext&) = delete;
  EVP_MAC_CTX* get() const { return ctx_; }

 private:
  EVP_MAC_CTX* ctx_;
};

// HMAC over the concatenation of up to two parts, so the KDF's
// "t(i-1) || i" needs no temporary buffer holding key material.
Blake2sHash hmac_blake2s_parts(ByteView key, ByteView part1, ByteView part2) {
  static thread_local HmacContext context;
  EVP_MAC_CTX* ctx = context.get();
  // An empty key is legal in HMAC (it is zero-padded to the block), but
  // OpenSSL reads a null key pointer as "keep the previous key".
  static const std::uint8_t no_key = 0;
  const std::uint8_t* key_data = key.empty() ? &no_key : key.data();

  Blake2sHash out{};
  std::size_t len = 0;
  const bool ok = EVP_MAC_init(ctx, key_data, key.size(), nullptr) == 1 &&
                  (part1.empty() || EVP_MAC_update(ctx, part1.data(), part1.size()) == 1) &&
                  (part2.empty() || EVP_MAC_update(ctx, part2.data(), part2.size()) == 1) &&
                  EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
  if (!ok) throw_openssl_failure("HMAC-BLAKE2s");
  return out;
}

template <std::size_t N>
std::array<Blake2sHash, N> kdf(ByteView key, ByteView input) {
  Blake2sHash prk = hmac_blake2s_parts(key, input, ByteView());
  std::array<Blake2sHash, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    const std::uint8_t counter = static_cast<std::uint8_t>(i + 1);
    ByteView previous = i == 0 ? ByteView() : ByteView(out[i - 1]);
    out[i] = hmac_blake2s_parts(prk, previous, ByteView(&counter, 1));
  }
  OPENSSL_cleanse(prk.data(), prk.size());
  return out;
}

}  // namespace

Blake2sHash hmac_blake2s(ByteView key, ByteView data) {
  return hmac_blake2s_parts(key, data, ByteView());
}

std::array<Blake2sHash, 1> kdf1(ByteView key, ByteView input) {
  return kdf<1>(key, input);
}
std::array<Blake2sHash, 2> kdf2(ByteView key, ByteView input) {
  return kdf<2>(key, input);
}
std::array<Blake2sHash, 3> kdf3(ByteView key, ByteView input) {
  return kdf<3>(key, input);
}

}  // namespace tether::crypto
