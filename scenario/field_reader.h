#pragma once
// Reading a scenario's YAML fields one by one, each checked and each error
// collected as "FILE:LINE: field.path: message" (or, for a value an
// override set, "--set TEXT: field.path: message") so a user sees every
// mistake of a file at once.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/endpoint.h"
#include "core/time.h"

namespace tether::scenario {

class FieldReader {
 public:
  // `path` names the file in errors and anchors relative file names;
  // `overridden` maps each --set key path to the override's text.
  FieldReader(std::filesystem::path path, std::map<std::string, std::string> overridden);

  std::vector<std::string> errors;
  // The file's last line: where a missing section (an undefined node) is
  // reported, as a file cut short ends there. 0: unknown.
  int end_line = 0;

  void error(const YAML::Node& node, const std::string& field, const std::string& message);
  // Where a value came from, as errors name it: "FILE:LINE: field" or
  // "--set TEXT: field".
  std::string where(const YAML::Node& node, const std::string& field) const;
  // Reports keys of `map` outside `allowed`; false if `map` is not a map.
  bool keys(const YAML::Node& map, const std::string& field, std::initializer_list<const char*> allowed);
  static std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

  std::optional<std::string> scalar(const YAML::Node& n, const std::string& field);
  // A duration of 0 or more (no scenario field is negative).
  std::optional<Duration> duration(const YAML::Node& n, const std::string& field);
  template <typename T>
  std::optional<T> integer(const YAML::Node& n, const std::string& field, T min, T max) {
    auto text = scalar(n, field);
    if (!text) return std::nullopt;
    char* end = nullptr;
    const long long v = std::strtoll(text->c_str(), &end, 10);
    if (text->empty() || *end || v < (long long)min || (unsigned long long)v > (unsigned long long)max) {
      error(n, field, "'" + *text + "' is not an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
      return std::nullopt;
    }
    return T(v);
  }
  std::optional<double> number(const YAML::Node& n, const std::string& field, double min, double max);
  std::optional<bool> boolean(const YAML::Node& n, const std::string& field);
  std::optional<IpAddress> address(const YAML::Node& n, const std::string& field);
  // A file relative to the scenario's directory, which must exist.
  std::optional<std::filesystem::path> file(const YAML::Node& n, const std::string& field);

  // map[key], when there, read with `reader` (scalar, file, duration, ...)
  // as the field FIELD.KEY; a valid value goes to `out`.
  template <typename T, typename Self, typename Value>
  void read(const YAML::Node& map, const std::string& field, const char* key, T& out,
            std::optional<Value> (Self::*reader)(const YAML::Node&, const std::string&)) {
    if (const YAML::Node v = map[key])
      if (auto value = (static_cast<Self*>(this)->*reader)(v, join(field, key))) out = *value;
  }

 protected:
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::string file_;
  std::map<std::string, std::string> overridden_;
};

}  // namespace tether::scenario
