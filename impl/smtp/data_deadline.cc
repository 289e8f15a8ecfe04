#include "smtp/data_deadline.h"

#include <algorithm>

namespace tether::smtp {

void DataDeadline::start(Time now, Duration idle, std::uint32_t min_rate) {
  idle_ = idle;
  min_rate_ = min_rate;
  deadline_ = now + idle;
}

void DataDeadline::received(std::size_t bytes, Time now) {
  if (min_rate_ == 0) {
    deadline_ = now + idle_;
    return;
  }
  // Spent already: the timeout is due, and late bytes do not revive it.
  if (now >= deadline_) return;
  const std::int64_t earned_ns =
      static_cast<std::int64_t>(bytes) * 1'000'000'000 / static_cast<std::int64_t>(min_rate_);
  const Duration earned = Duration::nanoseconds(std::min<std::int64_t>(earned_ns, idle_.ns()));
  deadline_ = std::min(deadline_ + earned, now + idle_);
}

}  // namespace tether::smtp
