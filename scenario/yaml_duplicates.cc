#include "scenario/yaml_duplicates.h"

#include <map>

namespace tether::scenario {
namespace {

int line_of(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }

struct Walk {
  std::vector<DuplicateKey> out;
  // Aliases share nodes, so a small document can name one mapping
  // exponentially often ("billion laughs"): the walk stops after this many
  // nodes, far more than any scenario has, and nests at most so deep.
  std::size_t budget = 200000;
};

void walk(const YAML::Node& node, const std::string& path, Walk& w, int depth) {
  if (depth > 256 || w.budget == 0) return;
  --w.budget;
  auto& out = w.out;
  const auto join = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  if (node.IsMap()) {
    std::map<std::string, int> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      // Only scalar keys can be compared as the parser looks them up.
      const std::string name = key.IsScalar() ? key.Scalar() : std::string();
      if (key.IsScalar()) {
        auto [first, inserted] = seen.emplace(name, line_of(key));
        if (!inserted) out.push_back({join(name), line_of(key), first->second});
      }
      walk(value, join(name), w, depth + 1);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) walk(node[i], join(std::to_string(i)), w, depth + 1);
  }
}

}  // namespace

std::vector<DuplicateKey> find_duplicate_keys(const YAML::Node& root) {
  Walk w;
  walk(root, "", w, 0);
  return std::move(w.out);
}

}  // namespace tether::scenario
