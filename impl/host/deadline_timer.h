#pragma once
// The one Timer a node app keeps per sans-IO core: after every input the app
// re-arms it at the core's next_deadline(). Most inputs leave that deadline
// where it was (a keepalive or a session timeout only moves when it is not
// already pending), so re-arming at the deadline the timer already waits for
// is skipped: in tetherd each re-arm is a timer syscall, per packet.

#include <functional>
#include <memory>

#include "core/time.h"
#include "host/host.h"

namespace tether {

class DeadlineTimer {
 public:
  // `on_fire` runs from the host's loop, as a Timer's callback does; it may
  // re-arm or destroy this timer.
  DeadlineTimer(Host& host, std::function<void()> on_fire);
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Arms the timer at `deadline`; Time::never() disarms it. Nothing happens
  // when it is already armed for exactly `deadline`.
  void arm_at(Time deadline);
  void cancel();
  bool armed() const { return !armed_for_.is_never(); }
  // What it is armed for; Time::never() when it is not (cancelled, or fired).
  Time deadline() const { return armed_for_; }

 private:
  Time armed_for_ = Time::never();
  std::unique_ptr<Timer> timer_;
};

}  // namespace tether
