#pragma once
// The pass bounds of `tether-pcap compare`: for each event kind (a key
// such as "wg.keepalive.initiator", see compare.h) and each measure, how
// far B may be from A.
//
// Measures:
//   count  |count A - count B|, in events ("5") or relative to the larger
//          count ("5%")
//   ks     the KS statistic of the kind's intervals (0..1)
//   w1     the Wasserstein-1 distance of the kind's intervals, a duration
//          ("1s", "20ms") or relative to the larger mean interval ("10%")
//   time   the largest |B - A| of matched events (the i-th of a kind in A
//          with the i-th in B, times taken from each side's anchor), a duration
//   order  the order of tunnel control messages: exact, prefix (one
//          sequence begins the other) or off; one for the whole comparison
// Any measure may be "off". Defaults: count 10%, w1 10%, ks off, time off,
// order exact: two runs of one setup pass, a changed timer does not, and
// the measures that near-constant intervals or clock drift make brittle
// (KS is 1 for two constants a millisecond apart) are reported but only
// checked when asked for.
//
// A rule is "[KINDS:]MEASURE=VALUE": KINDS an fnmatch glob on the kind key
// (every kind when left out), e.g. "w1=1s", "wg.keepalive*:w1=20ms",
// "tcp.*:count=off". Rules apply in the order given, a later one winning
// for the kinds it matches, after the defaults.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace tether::pcap {

enum class CompareMeasure { count, ks, w1, time };
const char* to_string(CompareMeasure measure);

struct ToleranceBound {
  enum class Kind { off, absolute, relative };
  Kind kind = Kind::off;
  double value = 0;  // absolute: events, the KS statistic, or seconds; relative: a fraction
  std::string text;  // as given: "10%", "1s", "0.2", "off"

  bool checked() const { return kind != Kind::off; }
  // Whether `difference` is within the bound; `scale` is what a relative
  // bound is a fraction of.
  bool admits(double difference, double scale) const;
};

enum class OrderCheck { exact, prefix, off };
const char* to_string(OrderCheck order);

struct ToleranceRule {
  std::string kinds = "*";
  CompareMeasure measure = CompareMeasure::count;
  ToleranceBound bound;
};

class CompareTolerances {
 public:
  CompareTolerances();  // the defaults above

  // Adds one "[KINDS:]MEASURE=VALUE" rule (or "order=VALUE"). Errors name
  // the rule and what is wrong with it.
  Result<void> add(std::string_view rule);
  void add(ToleranceRule rule) { rules_.push_back(std::move(rule)); }

  ToleranceBound bound(const std::string& kind_key, CompareMeasure measure) const;
  OrderCheck order() const { return order_; }

 private:
  std::vector<ToleranceRule> rules_;
  OrderCheck order_ = OrderCheck::exact;
};

// One measure's value, "10%", "1s", "0.2", "5" or "off", checked for the
// measure (a count is whole, KS within 0..1, times carry a unit).
Result<ToleranceBound> parse_tolerance_bound(CompareMeasure measure, std::string_view value);

}  // namespace tether::pcap
