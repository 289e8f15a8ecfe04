#pragma once
// When a deferred envelope is tried again, under the config's `queue retry`
// (RetryPolicy in config.h):
//   opensmtpd      creation + base * n^2 for the n-th retry, the first slot
//                  after the failure (OpenSMTPD's scheduler_backoff/next);
//                  base 400 s for relayed mail, 10 s for local delivery and
//                  for reports, as there
//   constant D     D after each failure
//   exponential D max M
//                  D, 2D, 4D, ... after each failure, never more than M
//   postfix [min D] [max M]
//                  after a failure, wait as long as the message has been
//                  queued, but at least D (default 300 s) and at most M
//                  (default 4000 s). Postfix's qmgr does this when a message
//                  leaves the active queue with recipients left: it stamps
//                  the queue file's time "now + delay" and moves it to the
//                  deferred queue. It measures time in queue rather than
//                  counting tries, so that mail deferred together drifts
//                  apart instead of retrying in lockstep; the effect is a
//                  near doubling (300, 300, 600, 1200, 2400, 4000, ...) when
//                  tries fail fast. A deferred message is only picked up by
//                  the next deferred-queue scan (queue_run_delay, 300 s), so
//                  real Postfix retries up to that much later: the
//                  scheduler models that scan apart (`queue scan-interval`,
//                  on in the postfix profile; scheduler_early_retry.cc).
// Changing the schedule is a config line; the seeds had to patch
// scheduler_ramqueue.c and rebuild for it.

#include <cstdint>

#include "core/time.h"
#include "smtp/config.h"
#include "smtp/envelope.h"

namespace tether::smtp {

// OpenSMTPD's BACKOFF_DELIVERY: local deliveries and reports retry quickly.
constexpr Duration kLocalRetryBase = Duration::seconds(10);

class RetrySchedule {
 public:
  RetrySchedule() = default;
  explicit RetrySchedule(RetryPolicy policy) : policy_(policy) {}

  const RetryPolicy& policy() const { return policy_; }

  // The next try of an envelope created at `creation` that has failed
  // `retries` times, the last failure at `failed_at`. With no failure yet
  // (retries == 0) that is `creation`: the first try is at once. Never
  // earlier than `failed_at` for the constant and exponential policies; the
  // OpenSMTPD one skips slots that have already passed, so an envelope
  // recovered after a long stop is tried at once and then back on its grid.
  Time next_try(DeliveryType type, Time creation, std::uint32_t retries, Time failed_at) const;

  // The wait after the n-th failure for the constant and exponential
  // policies (n >= 1); for opensmtpd, the distance between slots n-1 and n;
  // for postfix, which counts time rather than failures, the minimum.
  Duration delay_after(DeliveryType type, std::uint32_t failures) const;

 private:
  Duration base(DeliveryType type) const;
  RetryPolicy policy_;
};

}  // namespace tether::smtp
