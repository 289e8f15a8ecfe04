#include "smtp/retry_policy.h"

#include <algorithm>

namespace tether::smtp {

namespace {

// base * n^2 without overflowing: "never" past what an int64 of ns holds.
Time slot(Time creation, Duration base, std::uint64_t n) {
  const __int128 offset = static_cast<__int128>(base.ns()) * n * n;
  const __int128 t = static_cast<__int128>(creation.ns()) + offset;
  if (t >= static_cast<__int128>(Time::never().ns())) return Time::never();
  return Time::from_ns(static_cast<std::int64_t>(t));
}

}  // namespace

Duration RetrySchedule::base(DeliveryType type) const {
  if (type == DeliveryType::mta) return policy_.base;
  return kLocalRetryBase;
}

Duration RetrySchedule::delay_after(DeliveryType type, std::uint32_t failures) const {
  if (failures == 0) return Duration::zero();
  switch (policy_.kind) {
    case RetryPolicy::Kind::opensmtpd: {
      const std::int64_t n = failures;
      return base(type) * (n * n - (n - 1) * (n - 1));
    }
    case RetryPolicy::Kind::constant:
      return policy_.interval;
    case RetryPolicy::Kind::exponential: {
      Duration d = policy_.interval;
      for (std::uint32_t i = 1; i < failures && d < policy_.max; ++i) {
        if (d.ns() > policy_.max.ns() / 2) return policy_.max;
        d = d * 2;
      }
      return d < policy_.max ? d : policy_.max;
    }
    case RetryPolicy::Kind::postfix:
      return policy_.interval;
  }
  return policy_.interval;
}

Time RetrySchedule::next_try(DeliveryType type, Time creation, std::uint32_t retries, Time failed_at) const {
  if (retries == 0) return creation;
  if (policy_.kind == RetryPolicy::Kind::postfix) {
    const Duration queued = failed_at - creation;
    return failed_at + std::clamp(queued, policy_.interval, policy_.max);
  }
  if (policy_.kind != RetryPolicy::Kind::opensmtpd) return failed_at + delay_after(type, retries);

  const Duration b = base(type);
  if (b <= Duration::zero()) return failed_at;
  std::uint64_t n = retries;
  Time t = slot(creation, b, n);
  if (t > failed_at) return t;
  // Jump close to the first slot after failed_at, then step: n^2 > elapsed / base.
  const long double elapsed = static_cast<long double>((failed_at - creation).ns()) / b.ns();
  auto guess = static_cast<std::uint64_t>(__builtin_sqrtl(elapsed > 0 ? elapsed : 0));
  if (guess > n) n = guess;
  while ((t = slot(creation, b, n)) <= failed_at && !t.is_never()) ++n;
  return t;
}

}  // namespace tether::smtp
