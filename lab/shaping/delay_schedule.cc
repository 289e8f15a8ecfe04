// DelaySchedule: loss, then the delay draw, then the order rule.
#include "lab/shaping/delay_schedule.h"

#include <algorithm>
#include <cmath>

namespace tether::lab {

DelaySchedule::DelaySchedule(const LinkShape& shape, std::uint64_t seed) : shape_(shape), engine_(seed) {}

double DelaySchedule::uniform() {
  return double(engine_() >> 11) * 0x1.0p-53;
}

double DelaySchedule::truncated_normal() {
  // Marsaglia's polar method, as ns-3's NormalRandomVariable::GetValue,
  // redrawing a value beyond the bound as it does.
  for (;;) {
    const double u1 = 2 * uniform() - 1, u2 = 2 * uniform() - 1;
    const double w = u1 * u1 + u2 * u2;
    if (w >= 1 || w == 0) continue;
    const double z = u1 * std::sqrt(-2 * std::log(w) / w);
    if (std::fabs(z) <= 3.0) return z;
  }
}

PacketDecision DelaySchedule::admit(Time now) {
  PacketDecision d;
  if (shape_.loss > 0 && uniform() < shape_.loss) {
    d.drop = true;
    return d;
  }
  double ns = double(shape_.delay.ns());
  if (shape_.jitter.ns() > 0) ns = std::max(0.0, ns + truncated_normal() * double(shape_.jitter.ns()));
  d.due = now + Duration::nanoseconds(std::int64_t(ns + 0.5));
  if (!shape_.reorder) d.due = std::max(d.due, last_due_);
  last_due_ = std::max(last_due_, d.due);
  return d;
}

}  // namespace tether::lab
