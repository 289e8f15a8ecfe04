#include "crypto/tai64n.h"

#include <limits>

#include "core/bytes.h"

namespace tether::crypto {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::uint32_t kWireGuardWhitenerMask = 0x1000000 - 1;

}  // namespace

Tai64n tai64n_from_unix_ns(std::int64_t unix_ns, Tai64nWhitening whitening) {
  // Floor division, so 1969 times get a smaller label and nanoseconds stay
  // in [0, 1e9) as TAI64N requires.
  std::int64_t seconds = unix_ns / kNanosPerSecond;
  std::int64_t nanos = unix_ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    seconds -= 1;
  }
  std::uint32_t fraction = static_cast<std::uint32_t>(nanos);
  if (whitening == Tai64nWhitening::wireguard) fraction &= ~kWireGuardWhitenerMask;

  Tai64n stamp{};
  // Two's complement wrap-around is the intended arithmetic here: a negative
  // offset lowers the label below 2^62 + 10.
  store_be64(stamp.data(), kTai64EpochLabel + static_cast<std::uint64_t>(seconds));
  store_be32(stamp.data() + 8, fraction);
  return stamp;
}

std::int64_t tai64n_to_unix_ns(const Tai64n& stamp) {
  const std::uint64_t label = (std::uint64_t(load_be32(stamp.data())) << 32) | load_be32(stamp.data() + 4);
  const std::int64_t seconds = static_cast<std::int64_t>(label - kTai64EpochLabel);
  const std::int64_t nanos = static_cast<std::int64_t>(load_be32(stamp.data() + 8));
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / kNanosPerSecond - 1;
  if (seconds > kMaxSeconds) return std::numeric_limits<std::int64_t>::max();
  if (seconds < -kMaxSeconds) return std::numeric_limits<std::int64_t>::min();
  return seconds * kNanosPerSecond + nanos;
}

bool tai64n_is_newer(const Tai64n& candidate, const Tai64n& previous) {
  for (std::size_t i = 0; i < kTai64nSize; ++i) {
    if (candidate[i] != previous[i]) return candidate[i] > previous[i];
  }
  return false;
}

}  // namespace tether::crypto
