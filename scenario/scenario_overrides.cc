#include "scenario/scenario_overrides.h"

#include <cstdlib>
#include <sstream>
#include <vector>

#include "scenario/closest_key.h"

namespace tether::scenario {

namespace {

// Sections of the schema whose keys are fixed (not names a file chooses,
// as hosts' are): one the file lacks is made on the way, so that
// `--set clocks.ppm=50` works on a file without `clocks:`; the parser then
// judges the key set in it.
bool schema_section(const std::string& path) {
  for (const char* s : {"clocks", "nat", "nat.timeouts", "isp", "workload", "home_activity", "outputs"})
    if (path == s) return true;
  return false;
}

}  // namespace

bool apply_override(YAML::Node& root, const std::string& text, std::string& error) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    error = "--set " + text + ": expected path.to.key=value";
    return false;
  }
  const std::string path = text.substr(0, eq);
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    error = "--set " + text + ": the value is not YAML: " + e.msg;
    return false;
  }
  if (!value.IsDefined() || value.IsNull()) value = YAML::Node(text.substr(eq + 1));
  YAML::Node cur;
  cur.reset(root);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& key = parts[i];
    const bool last = i + 1 == parts.size();
    if (cur.IsSequence()) {
      char* end = nullptr;
      const unsigned long index = std::strtoul(key.c_str(), &end, 10);
      if (key.empty() || *end || index >= cur.size()) {
        error = "--set " + text + ": '" + key + "' is not an index of the list (0.." + std::to_string(cur.size()) + ")";
        return false;
      }
      if (last) {
        cur[index] = value;
        return true;
      }
      YAML::Node next = cur[index];
      cur.reset(next);
    } else {
      if (!cur.IsMap() && !cur.IsNull()) {
        error = "--set " + text + ": '" + key + "' is below a single value";
        return false;
      }
      if (last) {
        cur[key] = value;
        return true;
      }
      // Only the last key may be new (the parser then checks its name),
      // and a fixed section of the schema: any other missing one on the way
      // is a typo or a name the file does not have (hosts.mx9), and walking
      // on would report something else entirely.
      const YAML::Node& existing = cur;
      std::string where;
      for (std::size_t j = 0; j < i; ++j) where += parts[j] + ".";
      if ((!existing.IsMap() || !existing[key]) && schema_section(where + key)) cur[key] = YAML::Node(YAML::NodeType::Map);
      if (!existing.IsMap() || !existing[key]) {
        std::vector<std::string> siblings;
        if (existing.IsMap())
          for (auto it = existing.begin(); it != existing.end(); ++it)
            if (it->first.IsScalar()) siblings.push_back(it->first.Scalar());
        const auto near = closest_key(key, siblings);
        error = "--set " + text + ": " + where + key + " does not exist in the file" +
                (near ? " (the closest is " + where + *near + ")" : std::string()) + "; to add it, set it whole: --set " +
                where + key + "={...}";
        return false;
      }
      YAML::Node next = cur[key];
      cur.reset(next);
    }
  }
  return true;
}

}  // namespace tether::scenario
