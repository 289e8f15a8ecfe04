#include "host/deadline_timer.h"

namespace tether {

DeadlineTimer::DeadlineTimer(Host& host, std::function<void()> on_fire)
    : timer_(host.create_timer([this, on_fire = std::move(on_fire)] {
        armed_for_ = Time::never();  // before the callback, which may destroy this
        on_fire();
      })) {}

void DeadlineTimer::arm_at(Time deadline) {
  if (deadline == armed_for_) return;
  armed_for_ = deadline;
  if (deadline.is_never())
    timer_->cancel();
  else
    timer_->arm_at(deadline);
}

void DeadlineTimer::cancel() { arm_at(Time::never()); }

}  // namespace tether
