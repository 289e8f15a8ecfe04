#include "posix/timer.h"

#include <boost/asio/steady_timer.hpp>
#include <chrono>

namespace tether::posix {
namespace {

// Pending waits hold the state, not the Timer, so a wait that completes after
// the Timer was destroyed touches only memory that is still alive; the
// generation tells a stale completion (replaced by arm_at, cancelled, or
// already queued when the timer was re-armed) from the current one.
struct TimerState {
  explicit TimerState(boost::asio::io_context& io, std::function<void()> fn)
      : timer(io), on_fire(std::move(fn)) {}
  boost::asio::steady_timer timer;
  std::function<void()> on_fire;
  std::uint64_t generation = 0;
  bool armed = false;
  bool destroyed = false;
};

class PosixTimer final : public Timer {
 public:
  PosixTimer(boost::asio::io_context& io, std::function<void()> on_fire)
      : state_(std::make_shared<TimerState>(io, std::move(on_fire))) {}

  ~PosixTimer() override {
    state_->destroyed = true;
    cancel();
  }

  void arm_at(Time deadline) override {
    auto& s = *state_;
    ++s.generation;
    s.armed = true;
    // "Never" is a legal deadline (a core with nothing scheduled); Asio would
    // overflow converting it, and it can't fire anyway.
    if (deadline.is_never()) {
      s.timer.cancel();
      return;
    }
    s.timer.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline.ns())));
    s.timer.async_wait([state = state_, generation = s.generation](const boost::system::error_code&) {
      // Asio may report success for a wait that was queued just before a
      // re-arm or cancel, so the generation decides, not the error code.
      if (state->destroyed || generation != state->generation || !state->armed) return;
      state->armed = false;
      state->on_fire();
    });
  }

  void cancel() override {
    ++state_->generation;
    state_->armed = false;
    state_->timer.cancel();
  }

  bool armed() const override { return state_->armed; }

 private:
  std::shared_ptr<TimerState> state_;
};

}  // namespace

std::unique_ptr<Timer> make_timer(boost::asio::io_context& io, std::function<void()> on_fire) {
  return std::make_unique<PosixTimer>(io, std::move(on_fire));
}

}  // namespace tether::posix
