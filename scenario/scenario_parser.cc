#include "scenario/scenario_parser.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "scenario/scenario_overrides.h"
#include "scenario/scenario_parser_impl.h"
#include "scenario/yaml_duplicates.h"

namespace tether::scenario {
namespace {

// A UTC time from 1970 to 2261: WallTime counts nanoseconds in 64 bits.
std::optional<WallTime> parse_epoch(const std::string& text) {
  int y, mo, d, h = 0, mi = 0, s = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail) == 7 && tail == 'Z') {
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3) {
  } else {
    return std::nullopt;
  }
  if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 60)
    return std::nullopt;
  return WallTime::from_unix_seconds(days_from_civil(y, unsigned(mo), unsigned(d)) * 86400 + h * 3600 + mi * 60 + s);
}

}  // namespace

Scenario ScenarioReader::parse(const YAML::Node& root) {
  Scenario s;
  s.source = path();
  s.name = path().stem().string();
  if (!keys(root, "", {"seed", "duration", "epoch", "hosts", "links", "nat", "isp", "dns", "clocks", "workload", "home_activity", "events", "outputs"}))
    return s;
  if (auto n = root["seed"]) {
    if (auto v = integer<std::uint64_t>(n, "seed", 0, UINT64_MAX)) s.seed = *v;
  }
  if (auto n = root["duration"]) {
    if (auto v = duration(n, "duration")) {
      if (*v <= Duration::zero()) error(n, "duration", "must be positive");
      s.duration = *v;
    }
  }
  if (auto n = root["epoch"]) {
    if (auto text = scalar(n, "epoch")) {
      if (auto e = parse_epoch(*text)) s.epoch = *e;
      else error(n, "epoch", "'" + *text + "' is not a UTC time from 1970 to 2261 (2026-01-01T00:00:00Z)");
    }
  }
  hosts(root["hosts"], s);
  links(root["links"], s);
  nat(root["nat"], s);
  isp(root["isp"], s);
  dns(root["dns"], s);
  clocks(root["clocks"], s);
  workload(root["workload"], s);
  home_activity(root["home_activity"], s);
  events(root["events"], s);
  outputs(root["outputs"], s);
  return s;
}

// Cross-field checks once everything is read.
void ScenarioReader::check(Scenario& s, const YAML::Node& root) {
  const HostSpec* home = s.first_with_role(HostRole::home);
  // IPv6 is all or nothing: the home's prefix and the public hosts' addresses.
  for (const HostSpec& h : s.hosts) {
    const YAML::Node node = root["hosts"][h.name];
    if (s.isp.prefix_pool.empty()) {
      if (h.address6) error(node["address6"], "hosts." + h.name + ".address6", "IPv6 needs isp.prefix_pool");
      if (h.interface_id) error(node["interface_id"], "hosts." + h.name + ".interface_id", "IPv6 needs isp.prefix_pool");
    } else if (h.role == HostRole::home && !h.interface_id) {
      error(node, "hosts." + h.name + ".interface_id", "missing: with isp.prefix_pool the home is numbered from it");
    }
  }
  for (const HostSpec& h : s.hosts) {
    if (h.role == HostRole::home) continue;
    if (!h.address.is_v4()) continue;
    const std::string a = h.address.to_string();
    if (a.size() >= 2 && a.compare(a.size() - 2, 2, ".1") == 0)
      error(root["hosts"][h.name]["address"], "hosts." + h.name + ".address",
            "x.y.z.1 is the internet router's side of the host's /24");
    for (const HostSpec& o : s.hosts)
      if (&o < &h && o.role != HostRole::home &&
          IpPrefix(o.address, 24).network() == IpPrefix(h.address, 24).network())
        error(root["hosts"][h.name]["address"], "hosts." + h.name + ".address",
              "in the same /24 as host '" + o.name + "' (each public host has its own link and /24)");
  }
  if (home) {
    const std::string a = home->address.to_string();
    if (a.size() >= 2 && a.compare(a.size() - 2, 2, ".1") == 0)
      error(root["hosts"][home->name]["address"], "hosts." + home->name + ".address",
            "x.y.z.1 is the gateway's side of the LAN");
  }
  if (s.workload.count > 0 && s.workload.sender.empty()) error(root["workload"], "workload.sender", "missing");
  if (const HostSpec* sender = s.host(s.workload.sender); sender && sender->smtpd.empty())
    error(root["workload"]["sender"], "workload.sender", "host '" + sender->name + "' runs no smtpd");
}

std::string ScenarioParse::error_text() const {
  std::string out;
  for (const std::string& e : errors) out += e + "\n";
  return out;
}

ScenarioParse parse_scenario(const std::string& text, const std::filesystem::path& path,
                             const std::vector<std::string>& overrides) {
  ScenarioParse result;
  const std::string file = path.filename().string();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    result.errors.push_back(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    return result;
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  // A repeated key's second value would be ignored: refuse it, naming both.
  std::vector<std::string> duplicates;
  for (const DuplicateKey& d : find_duplicate_keys(root))
    duplicates.push_back(file + ":" + std::to_string(d.line) + ": " + d.field + ": duplicated key (first at line " +
                         std::to_string(d.first_line) + ")");
  std::map<std::string, std::string> overridden;
  for (const std::string& o : overrides) {
    std::string error;
    if (!apply_override(root, o, error)) result.errors.push_back(error);
    else overridden[o.substr(0, o.find('='))] = o;
  }
  if (!result.errors.empty()) {
    result.errors.insert(result.errors.begin(), duplicates.begin(), duplicates.end());
    return result;
  }
  ScenarioReader parser(path, std::move(overridden));
  parser.end_line = int(std::count(text.begin(), text.end(), '\n')) + (text.empty() || text.back() == '\n' ? 0 : 1);
  result.scenario = parser.parse(root);
  if (parser.errors.empty()) parser.check(result.scenario, root);
  result.errors = std::move(duplicates);
  result.errors.insert(result.errors.end(), parser.errors.begin(), parser.errors.end());
  return result;
}

ScenarioParse load_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ScenarioParse result;
    result.errors.push_back(path.string() + ": cannot read the file");
    return result;
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path, overrides);
}

}  // namespace tether::scenario
