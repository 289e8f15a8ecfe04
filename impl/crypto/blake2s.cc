#include "crypto/blake2s.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <stdexcept>
#include <string>

#include "crypto/openssl_error.h"

namespace tether::crypto {
namespace {

// Fetched once per process: an explicit fetch per call would search the
// provider tables every time, and these run several times per handshake.
const EVP_MD* blake2s_256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
  if (md == nullptr) throw_openssl_failure("BLAKE2S-256 is not available in this OpenSSL");
  return md;
}

EVP_MAC* blake2s_mac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "BLAKE2SMAC", nullptr);
  if (mac == nullptr) throw_openssl_failure("BLAKE2SMAC is not available in this OpenSSL");
  return mac;
}

}  // namespace

Blake2sHasher::Blake2sHasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex2(ctx_, blake2s_256_md(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    throw_openssl_failure("BLAKE2s init");
  }
}

Blake2sHasher::~Blake2sHasher() {
  EVP_MD_CTX_free(ctx_);
}

Blake2sHasher& Blake2sHasher::update(ByteView data) {
  if (!data.empty() && EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1)
    throw_openssl_failure("BLAKE2s update");
  return *this;
}

Blake2sHash Blake2sHasher::finish() {
  Blake2sHash out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, out.data(), &len) != 1 || len != out.size())
    throw_openssl_failure("BLAKE2s final");
  if (EVP_DigestInit_ex2(ctx_, nullptr, nullptr) != 1) throw_openssl_failure("BLAKE2s reset");
  return out;
}

Blake2sHash blake2s_256(ByteView data) {
  return Blake2sHasher().update(data).finish();
}

Blake2sHash blake2s_256(ByteView first, ByteView second) {
  return Blake2sHasher().update(first).update(second).finish();
}

Blake2sMac blake2s_mac(ByteView key, ByteView data) {
  if (key.empty() || key.size() > kBlake2sMaxKeySize)
    throw std::invalid_argument("keyed BLAKE2s: key is " + std::to_string(key.size()) +
                                " bytes, expected 1 to 32");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(blake2s_mac_algorithm());
  if (ctx == nullptr) throw_openssl_failure("BLAKE2SMAC context");

  // The output size must be set before the key: BLAKE2 mixes it into the
  // initial state, so it cannot be changed by truncating afterwards.
  std::size_t out_size = kBlake2sMacSize;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &out_size),
                         OSSL_PARAM_construct_end()};
  Blake2sMac out{};
  std::size_t len = 0;
  const bool ok = EVP_MAC_CTX_set_params(ctx, params) == 1 &&
                  EVP_MAC_init(ctx, key.data(), key.size(), nullptr) == 1 &&
                  (data.empty() || EVP_MAC_update(ctx, data.data(), data.size()) == 1) &&
                  EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == out.size();
  EVP_MAC_CTX_free(ctx);
  if (!ok) throw_openssl_failure("keyed BLAKE2s");
  return out;
}

}  // namespace tether::crypto
