#include "scenario/closest_key.h"

#include <algorithm>

namespace tether::scenario {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // One row of the Levenshtein table at a time.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_key(const std::string& wanted, const std::vector<std::string>& candidates,
                                       std::optional<std::size_t> max_distance) {
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(wanted, c);
    if (max_distance && d > *max_distance) continue;
    if (!best || d < best_distance) best = c, best_distance = d;
  }
  return best;
}

}  // namespace tether::scenario
