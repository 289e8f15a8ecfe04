#pragma once
// Duplicated keys in a YAML document. yaml-cpp keeps both entries of a
// mapping that repeats a key, but a lookup finds only the first, so the
// second would be silently ignored: a scenario must say each thing once.

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace tether::scenario {

struct DuplicateKey {
  std::string field;  // the key's path, "hosts.relay.address" (list items by index)
  int line = 0;       // the repeat's line, 1-based
  int first_line = 0; // the first occurrence's line
};

// Every repeated key in every mapping below `root`, in document order.
std::vector<DuplicateKey> find_duplicate_keys(const YAML::Node& root);

}  // namespace tether::scenario
