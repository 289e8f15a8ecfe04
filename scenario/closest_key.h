#pragma once
// The key a mistyped one most likely meant, for errors that name a key that
// does not exist ("hosts.mx9 does not exist; the closest is hosts.mx2").

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tether::scenario {

// The candidate nearest `wanted` by edit distance (ascii_edit_distance) (the first of equals), or
// nullopt when there are none or, with `max_distance`, none that near.
std::optional<std::string> closest_key(const std::string& wanted, const std::vector<std::string>& candidates,
                                       std::optional<std::size_t> max_distance = std::nullopt);

}  // namespace tether::scenario
