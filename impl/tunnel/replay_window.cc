#include "tunnel/replay_window.h"

namespace tether::tunnel {

bool ReplayWindow::would_accept(std::uint64_t counter) const {
  if (counter >= limit_) return false;
  std::uint64_t n = counter + 1;  // cannot overflow: counter < limit_ <= 2^64-1
  if (n > top_) return true;
  if (top_ - n > kWindowSize) return false;
  return (bits_[(n / kWordBits) % kWords] & (std::uint64_t(1) << (n % kWordBits))) == 0;
}

bool ReplayWindow::check_and_update(std::uint64_t counter) {
  if (counter >= limit_) return false;
  std::uint64_t n = counter + 1;
  if (n <= top_ && top_ - n > kWindowSize) return false;
  std::uint64_t word = n / kWordBits;
  if (n > top_) {
    // Slide forward: the words between the old top's and the new top's now
    // describe counters never seen. Past a full ring, every word is stale.
    std::uint64_t current = top_ / kWordBits;
    std::uint64_t stale = word - current;
    if (stale > kWords) stale = kWords;
    for (std::uint64_t i = 1; i <= stale; ++i) bits_[(current + i) % kWords] = 0;
    top_ = n;
  }
  std::uint64_t& w = bits_[word % kWords];
  std::uint64_t mask = std::uint64_t(1) << (n % kWordBits);
  if (w & mask) return false;
  w |= mask;
  return true;
}

void ReplayWindow::reset() {
  top_ = 0;
  bits_.fill(0);
}

}  // namespace tether::tunnel
