#include "smtp/route_penalty.h"

namespace tether::smtp {

std::uint32_t RoutePenalties::penalty(const std::string& route, Time now) const {
  auto it = routes_.find(route);
  if (it == routes_.end()) return 0;
  const Route& r = it->second;
  // Re-enabled routes lose one point, once per disabled period.
  if (now >= r.until && r.penalty > 0) return r.penalty - 1;
  return r.penalty;
}

Duration RoutePenalties::on_failure(const std::string& route, Time now) {
  const std::uint32_t p = penalty(route, now) + 1;
  Duration delay = settings_.max;
  // 15 s * p^2 overflows nothing below p = 2^16; the cap is reached long before.
  if (p < 65536) {
    Duration d = settings_.base * (static_cast<std::int64_t>(p) * p);
    if (d < delay) delay = d;
  }
  routes_[route] = Route{p, now + delay};
  return delay;
}

bool RoutePenalties::usable(const std::string& route, Time now) const {
  auto it = routes_.find(route);
  return it == routes_.end() || now >= it->second.until;
}

Time RoutePenalties::disabled_until(const std::string& route) const {
  auto it = routes_.find(route);
  return it == routes_.end() ? Time::zero() : it->second.until;
}

Time RoutePenalties::next_deadline(Time now) const {
  Time best = Time::never();
  for (const auto& [name, r] : routes_)
    if (r.until > now && r.until < best) best = r.until;
  return best;
}

}  // namespace tether::smtp
