#pragma once
// The lab's and the simulation's figures as rows, each checked against its
// bound (compare_bounds.h): the messages' fate, latency, the tunnel, the
// NAT, the relays' retries, and the uplink captures' control-message order
// and interval distances (uplink_comparison.h).

#include <optional>
#include <string>
#include <vector>

#include "lab/compare/compare_bounds.h"
#include "lab/compare/run_figures.h"
#include "lab/compare/uplink_comparison.h"

namespace tether::lab {

struct FigureRow {
  std::string name;            // "delivered", "latency.p50", "uplink control order"
  std::string lab, sim;        // as printed
  std::string bound;           // "5%,100ms", "exact", "off"
  std::optional<bool> within;  // empty: shown, not checked
  std::string detail;          // why it is outside, or what it shows
};

struct SideBySide {
  std::vector<FigureRow> rows;
  std::vector<std::string> outside;  // one line per row outside its bound
  bool within() const { return outside.empty(); }
};

SideBySide side_by_side(const RunFigures& lab, const RunFigures& sim, const CompareBounds& bounds,
                        const UplinkComparison& uplink);

}  // namespace tether::lab
