#include "sim/host/ns3_timer.h"

namespace tether::sim {

Ns3Timer::Ns3Timer(std::shared_ptr<NodeLoop> loop, std::shared_ptr<const NodeClock> clock,
                   std::function<void()> on_fire)
    : loop_(std::move(loop)), clock_(std::move(clock)), on_fire_(std::move(on_fire)) {}

void Ns3Timer::arm_at(Time deadline) {
  if (deadline.is_never()) {
    event_.cancel();
    return;
  }
  const Time true_now = NodeLoop::now();
  event_ = loop_->schedule(clock_->fire_time(deadline, true_now) - true_now, [this] { fire(); });
}

void Ns3Timer::cancel() { event_.cancel(); }

bool Ns3Timer::armed() const { return event_.pending(); }

void Ns3Timer::fire() {
  // A copy, so the callback may re-arm, replace or destroy this timer.
  std::function<void()> fn = on_fire_;
  if (fn) fn();
}

}  // namespace tether::sim
