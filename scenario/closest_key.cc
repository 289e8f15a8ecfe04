#include "scenario/closest_key.h"

#include "core/ascii.h"

namespace tether::scenario {

std::optional<std::string> closest_key(const std::string& wanted, const std::vector<std::string>& candidates,
                                       std::optional<std::size_t> max_distance) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const std::string& c : candidates) {
    const std::size_t d = ascii_edit_distance(wanted, c);
    if (max_distance && d > *max_distance) continue;
    if (!best || d < best_distance) best = c, best_distance = d;
  }
  return best;
}

}  // namespace tether::scenario
