#pragma once
// Anti-replay for transport messages: the RFC 6479 sliding bitmap, sized as
// Linux (drivers/net/wireguard) and wireguard-go size it, so tether accepts
// and rejects exactly the counters those peers would.
//
// The bitmap is 8192 bits kept in 64-bit words used as a ring. RFC 6479
// keeps one word more than the window it promises, so that sliding forward
// only ever zeroes whole words; the window is therefore 8192 - 64 = 8128
// counters behind the highest one seen.

#include <array>
#include <cstdint>

namespace tether::tunnel {

// The whitepaper's REJECT_AFTER_MESSAGES (2^64 - 2^13 - 1), as in Linux
// and wireguard-go. A key must not be used for this many messages in either
// direction, so a counter at or above it is never valid.
constexpr std::uint64_t kRejectAfterMessages = ~std::uint64_t(0) - (std::uint64_t(1) << 13);

class ReplayWindow {
 public:
  static constexpr unsigned kBitsTotal = 8192;
  static constexpr unsigned kWordBits = 64;
  // Counters this far below the highest one seen are still judged on their bit.
  static constexpr std::uint64_t kWindowSize = kBitsTotal - kWordBits;  // 8128

  // `limit`: counters >= limit are rejected (REJECT_AFTER_MESSAGES); a
  // parameter so tests can run the public suites, which use their own limits.
  explicit ReplayWindow(std::uint64_t limit = kRejectAfterMessages) : limit_(limit) {}

  // Accepts `counter` (true) if it is below the limit, not too far behind the
  // highest counter seen, and not seen before; then records it. Call only
  // after the packet authenticated, or an attacker could slide the window.
  bool check_and_update(std::uint64_t counter);

  // The same judgement without recording: lets a receiver drop an obvious
  // replay before paying for decryption.
  bool would_accept(std::uint64_t counter) const;

  // Forget everything (a new keypair starts a new window).
  void reset();

  // Whether any counter was accepted since construction or reset(), and the
  // highest one (meaningful only when has_received()).
  bool has_received() const { return top_ != 0; }
  std::uint64_t highest() const { return top_ - 1; }
  std::uint64_t limit() const { return limit_; }

 private:
  static constexpr unsigned kWords = kBitsTotal / kWordBits;

  std::uint64_t limit_;
  // Highest accepted counter plus one; 0 means nothing accepted yet. The
  // shift lets counter 0 be an ordinary first packet without a flag.
  std::uint64_t top_ = 0;
  std::array<std::uint64_t, kWords> bits_{};
};

}  // namespace tether::tunnel
