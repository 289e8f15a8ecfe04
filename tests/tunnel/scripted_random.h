#pragma once
// A RandomSource for tests: bytes queued by the test come out first, in
// order (to inject a known ephemeral key or nonce), then a deterministic
// stream (BLAKE2s of a seed and a counter), so every run is the same.

#include <algorithm>
#include <cstdint>
#include <deque>

#include "core/bytes.h"
#include "crypto/blake2s.h"
#include "tunnel/random_source.h"

namespace tether::tunnel::testing {

class ScriptedRandom : public RandomSource {
 public:
  explicit ScriptedRandom(std::uint64_t seed = 1) : seed_(seed) {}

  void queue(ByteView bytes) { queued_.insert(queued_.end(), bytes.begin(), bytes.end()); }

  void fill(MutableByteView out) override {
    for (std::uint8_t& b : out) {
      if (!queued_.empty()) {
        b = queued_.front();
        queued_.pop_front();
        continue;
      }
      if (used_ == block_.size()) refill();
      b = block_[used_++];
    }
    ++fills_;
  }

  int fills() const { return fills_; }

 private:
  void refill() {
    std::uint8_t input[16];
    store_le64(input, seed_);
    store_le64(input + 8, counter_++);
    block_ = crypto::blake2s_256(ByteView(input, sizeof input));
    used_ = 0;
  }

  std::uint64_t seed_;
  std::uint64_t counter_ = 0;
  crypto::Blake2sHash block_{};
  std::size_t used_ = block_.size();
  std::deque<std::uint8_t> queued_;
  int fills_ = 0;
};

}  // namespace tether::tunnel::testing
