#include "tunnel/ratelimiter.h"

#include <algorithm>
#include <functional>

#include "core/bytes.h"

namespace tether::tunnel {
namespace {

constexpr std::int64_t kPacketCost = Duration::seconds(1).ns() / Ratelimiter::kPacketsPerSecond;
constexpr std::int64_t kTokenMax = kPacketCost * Ratelimiter::kPacketsBurstable;
constexpr Duration kIdle = Duration::seconds(1);

}  // namespace

std::size_t Ratelimiter::KeyHash::operator()(const Key& k) const noexcept {
  return std::hash<std::uint64_t>()(k.bits ^ (k.v6 ? 0x9e3779b97f4a7c15ULL : 0));
}

Ratelimiter::Key Ratelimiter::key_of(const IpAddress& a) {
  Key k;
  k.v6 = a.is_v6();
  k.bits = a.is_v4() ? a.v4_host_order() : load_le64(a.bytes());  // v6: the /64, byte order irrelevant
  return k;
}

void Ratelimiter::collect_garbage(Time now) {
  if (now - last_gc_ < kIdle && entries_.size() < max_entries_) return;
  last_gc_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.last > kIdle) it = entries_.erase(it);
    else ++it;
  }
}

bool Ratelimiter::allow(const IpAddress& source, Time now) {
  collect_garbage(now);
  const Key key = key_of(source);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_entries_) return false;
    entries_.emplace(key, Bucket{now, kTokenMax - kPacketCost});
    return true;
  }
  Bucket& b = it->second;
  const std::int64_t elapsed = std::max<std::int64_t>(0, (now - b.last).ns());
  b.tokens_ns = std::min(kTokenMax, b.tokens_ns + std::min(elapsed, kTokenMax));
  b.last = now;
  if (b.tokens_ns < kPacketCost) return false;
  b.tokens_ns -= kPacketCost;
  return true;
}

}  // namespace tether::tunnel
