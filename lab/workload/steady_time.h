#pragma once
// The lab workload's one clock: CLOCK_MONOTONIC as a core Time, the clock
// posix::PosixHost::now() reads (impl/posix/posix_host.cc), so the
// submitter's Submission times, the watcher's delivery times and a run's
// start instant can be subtracted from one another.

#include <chrono>

#include "core/time.h"

namespace tether::lab {

inline Time steady_now() {
  return Time::from_ns(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace tether::lab
