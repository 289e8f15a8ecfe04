#include "core/time.h"

#include <cstdio>
#include <ctime>
#include <ostream>

namespace tether {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t ns;
};

// Longest names first so that "ms" is not read as "m" followed by garbage.
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1000},
    {"ms", 1000'000},
    {"s", 1000'000'000},
    {"m", 60LL * 1000'000'000},
    {"h", 3600LL * 1000'000'000},
    {"d", 86400LL * 1000'000'000},
    {"w", 7 * 86400LL * 1000'000'000},
};

Error duration_error(std::string_view text, const std::string& why) {
  return Error(ErrorCode::invalid_argument, "invalid duration '" + std::string(text) + "': " + why);
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  std::string_view rest = text;
  if (rest.empty()) return duration_error(text, "empty");
  bool negative = false;
  if (rest.front() == '-') {
    negative = true;
    rest.remove_prefix(1);
  }
  if (rest == "0") return Duration::zero();
  if (rest.empty()) return duration_error(text, "no number after '-'");

  // Accumulate in long double-free fixed point: integer part * unit plus the
  // fraction digits scaled by the unit, so "1.5s" is exact.
  std::int64_t total = 0;
  bool any = false;
  while (!rest.empty()) {
    std::size_t i = 0;
    std::int64_t whole = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      if (whole > (std::numeric_limits<std::int64_t>::max() - 9) / 10)
        return duration_error(text, "number too large");
      whole = whole * 10 + (rest[i] - '0');
      ++i;
    }
    std::string_view fraction;
    if (i < rest.size() && rest[i] == '.') {
      std::size_t start = ++i;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
      fraction = rest.substr(start, i - start);
      if (fraction.empty()) return duration_error(text, "no digits after '.'");
    }
    if (i == 0) return duration_error(text, "expected a number at '" + std::string(rest) + "'");
    rest.remove_prefix(i);

    std::size_t unit_len = 0;
    while (unit_len < rest.size() && ((rest[unit_len] >= 'a' && rest[unit_len] <= 'z') ||
                                      (rest[unit_len] >= 'A' && rest[unit_len] <= 'Z')))
      ++unit_len;
    std::string_view unit_name = rest.substr(0, unit_len);
    if (unit_name.empty()) return duration_error(text, "missing unit (use ns, us, ms, s, m, h, d or w)");
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits)
      if (u.name == unit_name) unit = &u;
    if (!unit)
      return duration_error(text, "unknown unit '" + std::string(unit_name) +
                                      "' (use ns, us, ms, s, m, h, d or w)");
    rest.remove_prefix(unit_len);

    if (whole > std::numeric_limits<std::int64_t>::max() / unit->ns)
      return duration_error(text, "out of range");
    std::int64_t part = whole * unit->ns;
    std::int64_t scale = unit->ns;
    for (char c : fraction) {
      scale /= 10;
      part += (c - '0') * scale;
    }
    if (total > std::numeric_limits<std::int64_t>::max() - part) return duration_error(text, "out of range");
    total += part;
    any = true;
  }
  if (!any) return duration_error(text, "empty");
  return Duration::nanoseconds(negative ? -total : total);
}

std::string format_duration(Duration d) {
  if (d.is_infinite()) return "infinite";
  std::int64_t n = d.ns();
  if (n == 0) return "0s";
  std::string out;
  if (n < 0) {
    out = "-";
    n = -n;
  }
  // Largest units first; sub-units only for the remainder, as "1h30m".
  for (int i = int(std::size(kUnits)) - 1; i >= 0; --i) {
    const Unit& u = kUnits[i];
    if (u.name == "w") continue;  // weeks read badly in logs: "14d" beats "2w"
    if (n >= u.ns) {
      out += std::to_string(n / u.ns);
      out += u.name;
      n %= u.ns;
    }
  }
  return out;
}

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned year_of_era = unsigned(year - era * 400);
  const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + std::int64_t(day_of_era) - 719468;
}

CivilDate civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  CivilDate date;
  date.day = unsigned(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  date.month = unsigned(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  date.year = year_of_era + era * 400 + (date.month <= 2);
  return date;
}

std::string format_wall_time(WallTime t) {
  std::int64_t ns = t.unix_ns();
  std::int64_t secs = ns / 1000'000'000;
  std::int64_t rem = ns % 1000'000'000;
  if (rem < 0) {
    rem += 1000'000'000;
    --secs;
  }
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(rem / 1000'000));
  return buf;
}

std::ostream& operator<<(std::ostream& os, Duration d) { return os << format_duration(d); }
std::ostream& operator<<(std::ostream& os, Time t) {
  if (t.is_never()) return os << "never";
  return os << format_duration(Duration::nanoseconds(t.ns()));
}
std::ostream& operator<<(std::ostream& os, WallTime t) { return os << format_wall_time(t); }

}  // namespace tether
