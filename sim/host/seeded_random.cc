#include "sim/host/seeded_random.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <stdexcept>
#include <string_view>

namespace tether::sim {

void SeededRandom::CtxDeleter::operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }

SeededRandom::SeededRandom(std::uint64_t seed, std::uint64_t stream) : ctx_(EVP_CIPHER_CTX_new()) {
  // Hashing a label with both numbers keeps neighbouring seeds and streams
  // unrelated (a key of seed||stream would differ in one word only), and the
  // label keeps these keys apart from any other use of the same numbers.
  constexpr std::string_view label = "tether sim random v1";
  std::uint8_t material[label.size() + 16];
  std::copy(label.begin(), label.end(), material);
  store_le64(material + label.size(), seed);
  store_le64(material + label.size() + 8, stream);
  std::uint8_t key[SHA256_DIGEST_LENGTH];
  SHA256(material, sizeof material, key);
  // OpenSSL's ChaCha20 IV is a 32-bit block counter then a 96-bit nonce;
  // the key is single-use, so both start at zero.
  const std::uint8_t iv[16] = {};
  if (!ctx_ || EVP_EncryptInit_ex(ctx_.get(), EVP_chacha20(), nullptr, key, iv) != 1)
    throw std::runtime_error("SeededRandom: OpenSSL ChaCha20 is unavailable");
}

SeededRandom::~SeededRandom() = default;

void SeededRandom::fill(MutableByteView out) {
  // Encrypting zeros yields the keystream itself.
  std::uint8_t* p = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    int n = static_cast<int>(std::min<std::size_t>(left, 1 << 20));
    std::fill(p, p + n, 0);
    int written = 0;
    if (EVP_EncryptUpdate(ctx_.get(), p, &written, p, n) != 1 || written != n)
      throw std::runtime_error("SeededRandom: ChaCha20 keystream failed");
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace tether::sim
