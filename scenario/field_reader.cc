#include "scenario/field_reader.h"

#include <algorithm>

#include "scenario/closest_key.h"

namespace tether::scenario {

FieldReader::FieldReader(std::filesystem::path path, std::map<std::string, std::string> overridden)
    : path_(std::move(path)), file_(path_.filename().string()), overridden_(std::move(overridden)) {}

std::string FieldReader::where(const YAML::Node& node, const std::string& field) const {
  for (const auto& [prefix, text] : overridden_)
    if (field == prefix || field.rfind(prefix + ".", 0) == 0) return "--set " + text + ": " + field;
  const int line = node.IsDefined() && !node.Mark().is_null() ? node.Mark().line + 1 : end_line;
  return file_ + ":" + std::to_string(line) + ": " + field;
}

void FieldReader::error(const YAML::Node& node, const std::string& field, const std::string& message) {
  errors.push_back(where(node, field) + ": " + message);
}

bool FieldReader::keys(const YAML::Node& map, const std::string& field, std::initializer_list<const char*> allowed) {
  if (!map.IsMap()) {
    error(map, field, "expected a mapping");
    return false;
  }
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      // A near miss is most likely a typo: say which key it resembles.
      const auto near = closest_key(key, std::vector<std::string>(allowed.begin(), allowed.end()), key.size() / 3 + 1);
      error(it->first, join(field, key),
            "unknown key (" + (near ? "did you mean '" + *near + "'? " : std::string()) + "expected one of: " + list + ")");
    }
  }
  return true;
}

std::optional<std::string> FieldReader::scalar(const YAML::Node& n, const std::string& field) {
  if (!n.IsScalar()) {
    error(n, field, "expected a single value");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<Duration> FieldReader::duration(const YAML::Node& n, const std::string& field) {
  auto text = scalar(n, field);
  if (!text) return std::nullopt;
  auto d = parse_duration(*text);
  if (!d.ok()) {
    error(n, field, "'" + *text + "' is not a duration (e.g. 30s, 2h, 1h30m)");
    return std::nullopt;
  }
  // No field of a scenario is a span backwards in time: a negative delay
  // would make delivery faster, a negative start was silently clamped.
  if (*d < Duration::zero()) {
    error(n, field, "'" + *text + "' is negative (a duration is 0 or more)");
    return std::nullopt;
  }
  return *d;
}

std::optional<double> FieldReader::number(const YAML::Node& n, const std::string& field, double min, double max) {
  auto text = scalar(n, field);
  if (!text) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text->c_str(), &end);
  if (text->empty() || *end || !(v >= min && v <= max)) {
    error(n, field, "'" + *text + "' is not a number in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> FieldReader::boolean(const YAML::Node& n, const std::string& field) {
  auto text = scalar(n, field);
  if (!text) return std::nullopt;
  if (*text == "true" || *text == "yes" || *text == "on") return true;
  if (*text == "false" || *text == "no" || *text == "off") return false;
  error(n, field, "'" + *text + "' is not a boolean (true/false)");
  return std::nullopt;
}

std::optional<IpAddress> FieldReader::address(const YAML::Node& n, const std::string& field) {
  auto text = scalar(n, field);
  if (!text) return std::nullopt;
  auto a = IpAddress::parse(*text);
  if (!a.ok()) {
    error(n, field, "'" + *text + "' is not an IP address");
    return std::nullopt;
  }
  return *a;
}

std::optional<std::filesystem::path> FieldReader::file(const YAML::Node& n, const std::string& field) {
  auto text = scalar(n, field);
  if (!text) return std::nullopt;
  std::filesystem::path p = path_.parent_path() / *text;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) {
    error(n, field, "file '" + *text + "' not found");
    return std::nullopt;
  }
  return p;
}

}  // namespace tether::scenario
