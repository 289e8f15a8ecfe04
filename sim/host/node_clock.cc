#include "sim/host/node_clock.h"

namespace tether::sim {
namespace {

constexpr std::int64_t kBillion = 1'000'000'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

ClockModel ClockModel::linux_jiffies() {
  ClockModel m;
  m.tick = Duration::milliseconds(4);
  m.rounding = TickRounding::after_tick;
  return m;
}

ClockModel ClockModel::openbsd_ticks() {
  ClockModel m;
  m.tick = Duration::milliseconds(10);
  m.rounding = TickRounding::at_tick;
  return m;
}

NodeClock::NodeClock(ClockModel model) : model_(model) {
  if (model_.tick <= Duration::zero()) {
    model_.tick = Duration::zero();
    model_.rounding = TickRounding::none;
  }
}

Time NodeClock::local(Time true_time) const {
  const __int128 t = true_time.ns();
  return Time::from_ns(std::int64_t(t + t * model_.rate_error_ppb / kBillion));
}

Time NodeClock::now(Time true_time) const {
  const Time exact = local(true_time);
  if (model_.rounding == TickRounding::none) return exact;
  // Ticks fall at local times k * tick - tick_offset; now() reads k * tick.
  const std::int64_t tick = model_.tick.ns();
  return Time::from_ns(floor_div(exact.ns() + model_.tick_offset.ns(), tick) * tick);
}

Time NodeClock::true_time_of(Time local_time) const {
  const __int128 l = local_time.ns();
  std::int64_t t = std::int64_t(l * kBillion / (kBillion + model_.rate_error_ppb));
  // Integer rounding either way: settle on the first nanosecond that reads it.
  while (local(Time::from_ns(t)) < local_time) ++t;
  while (t > 0 && local(Time::from_ns(t - 1)) >= local_time) --t;
  return Time::from_ns(t);
}

Time NodeClock::fire_time(Time deadline, Time true_now) const {
  Time at;
  if (model_.rounding == TickRounding::none) {
    at = true_time_of(deadline);
  } else {
    const std::int64_t tick = model_.tick.ns();
    std::int64_t k = floor_div(deadline.ns() + tick - 1, tick);  // first tick reading >= deadline
    if (model_.rounding == TickRounding::after_tick) ++k;
    at = true_time_of(Time::from_ns(k * tick - model_.tick_offset.ns()));
  }
  return at < true_now ? true_now : at;
}

}  // namespace tether::sim
