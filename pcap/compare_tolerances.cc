#include "pcap/compare_tolerances.h"

#include <fnmatch.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "core/time.h"

namespace tether::pcap {
namespace {

// A plain non-negative decimal number, whole string; nullopt otherwise.
std::optional<double> plain_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (errno || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0 || s.front() == '+' ||
      s.find_first_of("xXpPeEnNiI") != std::string::npos)
    return std::nullopt;
  return v;
}

Error bad(std::string_view value, const std::string& why) {
  return make_error(ErrorCode::invalid_argument, "'" + std::string(value) + "': " + why);
}

}  // namespace

const char* to_string(CompareMeasure measure) {
  switch (measure) {
    case CompareMeasure::count: return "count";
    case CompareMeasure::ks: return "ks";
    case CompareMeasure::w1: return "w1";
    case CompareMeasure::time: return "time";
  }
  return "?";
}

const char* to_string(OrderCheck order) {
  switch (order) {
    case OrderCheck::exact: return "exact";
    case OrderCheck::prefix: return "prefix";
    case OrderCheck::off: return "off";
  }
  return "?";
}

bool ToleranceBound::admits(double difference, double scale) const {
  switch (kind) {
    case Kind::off: return true;
    case Kind::absolute: return difference <= value;
    case Kind::relative: return difference <= value * scale;
  }
  return true;
}

Result<ToleranceBound> parse_tolerance_bound(CompareMeasure measure, std::string_view value) {
  ToleranceBound b;
  b.text = std::string(value);
  if (value == "off") return b;
  const bool percent = !value.empty() && value.back() == '%';
  if (percent) {
    if (measure == CompareMeasure::ks || measure == CompareMeasure::time)
      return bad(value, std::string(to_string(measure)) + " takes no percentage");
    auto v = plain_number(value.substr(0, value.size() - 1));
    if (!v) return bad(value, "expected a percentage such as 10%");
    b.kind = ToleranceBound::Kind::relative;
    b.value = *v / 100.0;
    return b;
  }
  b.kind = ToleranceBound::Kind::absolute;
  switch (measure) {
    case CompareMeasure::count: {
      auto v = plain_number(value);
      if (!v || *v != std::floor(*v)) return bad(value, "expected a whole number of events or a percentage");
      b.value = *v;
      return b;
    }
    case CompareMeasure::ks: {
      auto v = plain_number(value);
      if (!v || *v > 1) return bad(value, "the KS statistic lies between 0 and 1");
      b.value = *v;
      return b;
    }
    case CompareMeasure::w1:
    case CompareMeasure::time: {
      auto d = parse_duration(value);
      if (!d.ok() || d->ns() < 0)
        return bad(value, "expected a duration such as 1s or 20ms" +
                              std::string(measure == CompareMeasure::w1 ? ", or a percentage" : ""));
      b.value = d->seconds_f();
      return b;
    }
  }
  return b;
}

CompareTolerances::CompareTolerances() {
  add(ToleranceRule{"*", CompareMeasure::count, *parse_tolerance_bound(CompareMeasure::count, "10%")});
  add(ToleranceRule{"*", CompareMeasure::w1, *parse_tolerance_bound(CompareMeasure::w1, "10%")});
}

Result<void> CompareTolerances::add(std::string_view rule) {
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::invalid_argument, "--tolerance '" + std::string(rule) + "': " + why);
  };
  const std::size_t eq = rule.find('=');
  if (eq == std::string_view::npos)
    return fail("expected [KINDS:]MEASURE=VALUE, e.g. w1=1s or wg.keepalive*:w1=20ms");
  std::string_view head = rule.substr(0, eq), value = rule.substr(eq + 1);
  std::string kinds = "*";
  if (const std::size_t colon = head.rfind(':'); colon != std::string_view::npos) {
    kinds = std::string(head.substr(0, colon));
    head = head.substr(colon + 1);
    if (kinds.empty()) return fail("empty kinds before ':'");
  }
  if (head == "order") {
    if (kinds != "*") return fail("order is one check for the whole comparison, not per kind");
    if (value == "exact")
      order_ = OrderCheck::exact;
    else if (value == "prefix")
      order_ = OrderCheck::prefix;
    else if (value == "off")
      order_ = OrderCheck::off;
    else
      return fail("order is exact, prefix or off");
    return {};
  }
  CompareMeasure measure;
  if (head == "count")
    measure = CompareMeasure::count;
  else if (head == "ks")
    measure = CompareMeasure::ks;
  else if (head == "w1")
    measure = CompareMeasure::w1;
  else if (head == "time")
    measure = CompareMeasure::time;
  else
    return fail("unknown measure '" + std::string(head) + "' (count, ks, w1, time, order)");
  auto bound = parse_tolerance_bound(measure, value);
  if (!bound.ok()) return fail(bound.error().message);
  add(ToleranceRule{std::move(kinds), measure, std::move(*bound)});
  return {};
}

ToleranceBound CompareTolerances::bound(const std::string& kind_key, CompareMeasure measure) const {
  ToleranceBound out;
  for (const ToleranceRule& r : rules_)
    if (r.measure == measure && fnmatch(r.kinds.c_str(), kind_key.c_str(), 0) == 0) out = r.bound;
  return out;
}

}  // namespace tether::pcap
