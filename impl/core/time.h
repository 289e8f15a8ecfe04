#pragma once
// Time as integer nanoseconds. Monotonic instants (Time) and wall-clock
// instants (WallTime) are distinct types so that a TAI64N timestamp cannot be
// built from a monotonic reading by mistake, and neither mixes with Duration
// without an explicit conversion.

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <string>
#include <string_view>

#include "core/error.h"

namespace tether {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration nanoseconds(std::int64_t n) { return Duration(n); }
  static constexpr Duration microseconds(std::int64_t n) { return Duration(n * 1000); }
  static constexpr Duration milliseconds(std::int64_t n) { return Duration(n * 1000'000); }
  static constexpr Duration seconds(std::int64_t n) { return Duration(n * 1000'000'000); }
  static constexpr Duration minutes(std::int64_t n) { return seconds(n * 60); }
  static constexpr Duration hours(std::int64_t n) { return seconds(n * 3600); }
  static constexpr Duration days(std::int64_t n) { return seconds(n * 86400); }
  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration infinite() { return Duration(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }
  constexpr double seconds_f() const { return double(ns_) / 1e9; }
  constexpr std::int64_t whole_seconds() const { return ns_ / 1000'000'000; }
  constexpr std::int64_t whole_milliseconds() const { return ns_ / 1000'000; }
  constexpr bool is_infinite() const { return ns_ == std::numeric_limits<std::int64_t>::max(); }

  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator*(std::int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(std::int64_t k) const { return Duration(ns_ / k); }
  constexpr Duration operator-() const { return Duration(-ns_); }
  Duration& operator+=(Duration o) { ns_ += o.ns_; return *this; }
  Duration& operator-=(Duration o) { ns_ -= o.ns_; return *this; }
  constexpr bool operator==(Duration o) const { return ns_ == o.ns_; }
  constexpr bool operator!=(Duration o) const { return ns_ != o.ns_; }
  constexpr bool operator<(Duration o) const { return ns_ < o.ns_; }
  constexpr bool operator<=(Duration o) const { return ns_ <= o.ns_; }
  constexpr bool operator>(Duration o) const { return ns_ > o.ns_; }
  constexpr bool operator>=(Duration o) const { return ns_ >= o.ns_; }

 private:
  constexpr explicit Duration(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

// A monotonic instant: nanoseconds since an arbitrary origin chosen by the
// Host (boot on Linux, simulation start in ns-3). Never goes backwards.
class Time {
 public:
  constexpr Time() = default;
  static constexpr Time from_ns(std::int64_t ns) { return Time(ns); }
  static constexpr Time zero() { return Time(0); }
  // "Never": the value a core returns from next_deadline() when it has no timer.
  static constexpr Time never() { return Time(std::numeric_limits<std::int64_t>::max()); }

  constexpr std::int64_t ns() const { return ns_; }
  constexpr bool is_never() const { return ns_ == std::numeric_limits<std::int64_t>::max(); }

  constexpr Time operator+(Duration d) const {
    if (is_never() || d.is_infinite()) return never();
    return Time(ns_ + d.ns());
  }
  constexpr Time operator-(Duration d) const { return Time(ns_ - d.ns()); }
  constexpr Duration operator-(Time o) const { return Duration::nanoseconds(ns_ - o.ns_); }
  Time& operator+=(Duration d) { *this = *this + d; return *this; }
  constexpr bool operator==(Time o) const { return ns_ == o.ns_; }
  constexpr bool operator!=(Time o) const { return ns_ != o.ns_; }
  constexpr bool operator<(Time o) const { return ns_ < o.ns_; }
  constexpr bool operator<=(Time o) const { return ns_ <= o.ns_; }
  constexpr bool operator>(Time o) const { return ns_ > o.ns_; }
  constexpr bool operator>=(Time o) const { return ns_ >= o.ns_; }

 private:
  constexpr explicit Time(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

// A wall-clock instant: nanoseconds since the Unix epoch (UTC). May jump; use
// only for timestamps people or peers read (TAI64N, Received:, Date:).
class WallTime {
 public:
  constexpr WallTime() = default;
  static constexpr WallTime from_unix_ns(std::int64_t ns) { return WallTime(ns); }
  static constexpr WallTime from_unix_seconds(std::int64_t s) { return WallTime(s * 1000'000'000); }
  constexpr std::int64_t unix_ns() const { return ns_; }
  constexpr std::int64_t unix_seconds() const { return ns_ / 1000'000'000; }
  constexpr WallTime operator+(Duration d) const { return WallTime(ns_ + d.ns()); }
  constexpr Duration operator-(WallTime o) const { return Duration::nanoseconds(ns_ - o.ns_); }
  constexpr bool operator==(WallTime o) const { return ns_ == o.ns_; }
  constexpr bool operator<(WallTime o) const { return ns_ < o.ns_; }

 private:
  constexpr explicit WallTime(std::int64_t ns) : ns_(ns) {}
  std::int64_t ns_ = 0;
};

// Parses "250ms", "30s", "2h", "20d", "1h30m", "1.5s", "0". Units: ns us ms s
// m h d w. A bare number is an error except 0 (ambiguous otherwise). Errors
// name the offending text.
Result<Duration> parse_duration(std::string_view text);

// The shortest exact form in the largest fitting units: "250ms", "30s",
// "2h", "20d", "1h30m", "1.5s" is printed as "1s500ms". Negative: "-5s".
std::string format_duration(Duration d);

// A day of the proleptic Gregorian calendar (month 1-12, day 1-31).
struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;
  unsigned day = 1;
};

// Days since 1970-01-01 of a date and back (Howard Hinnant's algorithms), so
// that dates are computed without libc's time zone state. Negative before
// 1970. days_from_civil does not check the date: 1970-02-31 is 1970-03-03.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);
CivilDate civil_from_days(std::int64_t days);

// "2026-11-21T10:42:00.123Z" (UTC, millisecond precision), for logs and CSVs.
std::string format_wall_time(WallTime t);

// For test diagnostics and logs.
std::ostream& operator<<(std::ostream& os, Duration d);
std::ostream& operator<<(std::ostream& os, Time t);
std::ostream& operator<<(std::ostream& os, WallTime t);

}  // namespace tether
