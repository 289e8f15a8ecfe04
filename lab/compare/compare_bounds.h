#pragma once
// tether-compare's tolerances: how far the simulation's figures may be from
// the lab's, and the uplink captures' comparison bounds.
//
// A rule is NAME=BOUND[,BOUND...] for a figure (the larger admitted
// difference of the bounds wins: "latency=5%,100ms" is issue 12's "within
// 5% or 100 ms, whichever is larger"), or one of tether-pcap compare's own
// rules ([KINDS:]count|ks|w1|time=VALUE, order=exact|prefix|off;
// pcap/compare_tolerances.h) for the uplink captures. A BOUND is `off`, a
// plain number in the figure's unit (events; seconds for latency written
// with a unit, "100ms"; 0..1 for availability) or N% of the larger of the
// two values. Rules apply in order, a later one winning.
//
// Figures: delivered, undelivered, bounced, via_backup, latency.p50,
// latency.p95, latency.max (`latency` sets all three), availability,
// handshakes, keepalives, nat_expiries, retries.
// Defaults (issue 12's goal): delivered, undelivered, bounced 0; latency
// 5%,100ms; handshakes 1; on the uplink the control messages' order exact.
// Every other figure and every other uplink measure is shown, not checked.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "pcap/compare_tolerances.h"

namespace tether::lab {

struct FigureBound {
  std::vector<pcap::ToleranceBound> any;  // empty: off (shown, not checked)
  bool checked() const { return !any.empty(); }
  bool admits(double difference, double scale) const;
  std::string text() const;  // "5%,100ms", "off"
};

class CompareBounds {
 public:
  CompareBounds();  // the defaults above

  // One rule; an error names it and says what is wrong.
  Result<void> add(std::string_view rule);

  const FigureBound& figure(const std::string& name) const;
  const pcap::CompareTolerances& uplink() const { return uplink_; }

  // Every figure's name, in the table's order.
  static const std::vector<std::string>& figures();

 private:
  std::map<std::string, FigureBound> figures_;
  pcap::CompareTolerances uplink_;
};

}  // namespace tether::lab
