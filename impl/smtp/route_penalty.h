#pragma once
// Route penalties, as OpenSMTPD's mta.c keeps them: a route (this host to
// one remote host) that fails gets one more penalty point and is not used
// for 15 s * penalty^2, at most 1 h. When that time is up the route is
// usable again with one point less, so a route that keeps failing backs off
// quadratically and one that works again forgets slowly.
//
// tether differs in two places, both for an intermittent tunnel: a success
// clears the penalty (a route just proven good should not carry an old
// one), and clear() forgets it when the tunnel reports a handshake, so the
// first delivery after "the route came back" is not held back.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/time.h"

namespace tether::smtp {

class RoutePenalties {
 public:
  struct Settings {
    Duration base = Duration::seconds(15);
    Duration max = Duration::hours(1);
  };

  RoutePenalties() = default;
  explicit RoutePenalties(Settings settings) : settings_(settings) {}

  // Penalises the route; returns how long it is now disabled for.
  Duration on_failure(const std::string& route, Time now);
  void on_success(const std::string& route) { routes_.erase(route); }
  void clear(const std::string& route) { routes_.erase(route); }
  void clear_all() { routes_.clear(); }

  bool usable(const std::string& route, Time now) const;
  // Time::zero() when the route is not disabled.
  Time disabled_until(const std::string& route) const;
  // Penalty points as of `now` (after any decay).
  std::uint32_t penalty(const std::string& route, Time now) const;
  // The earliest time a disabled route becomes usable; never if none is.
  Time next_deadline(Time now) const;

 private:
  struct Route {
    std::uint32_t penalty = 0;
    Time until;
  };
  Settings settings_;
  std::unordered_map<std::string, Route> routes_;
};

}  // namespace tether::smtp
