#pragma once
// A deterministic byte stream for simulated hosts: the ChaCha20 keystream
// under a key derived from (seed, stream). It draws nothing from ns-3's
// global RNG, whose state depends on every other object that drew from it,
// so a node's bytes depend only on the scenario seed and the node's stream.

#include <cstdint>
#include <memory>

#include "core/bytes.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace tether::sim {

class SeededRandom {
 public:
  SeededRandom(std::uint64_t seed, std::uint64_t stream);
  ~SeededRandom();
  SeededRandom(const SeededRandom&) = delete;
  SeededRandom& operator=(const SeededRandom&) = delete;

  // Continues the stream: consecutive calls never repeat bytes.
  void fill(MutableByteView out);

 private:
  struct CtxDeleter {
    void operator()(EVP_CIPHER_CTX* ctx) const;
  };
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx_;
};

}  // namespace tether::sim
