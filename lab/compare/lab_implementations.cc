// lab.json's per-host record into tether-sim overrides (lab_implementations.h).

#include "lab/compare/lab_implementations.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace tether::lab {
namespace {

// Every string in a record, joined: a plain string, or an object's values.
std::string record_text(const nlohmann::json& record) {
  if (record.is_string()) return record.get<std::string>();
  std::string text;
  if (record.is_object() || record.is_array())
    for (const auto& value : record) text += record_text(value) + " ";
  return text;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

}  // namespace

std::vector<std::string> sim_overrides_for(const scenario::HostSpec& host, const std::string& record) {
  const std::string text = lower(record);
  std::vector<std::string> out;
  const std::string prefix = "hosts." + host.name + ".";
  if (!host.smtpd.empty()) {
    if (text.find("opensmtpd") != std::string::npos)
      out.push_back(prefix + "profile=opensmtpd");
    else if (text.find("postfix") != std::string::npos)
      out.push_back(prefix + "profile=postfix");
  }
  // tetherd and wireguard-go both follow Linux's WireGuard timers.
  if (!host.tunnel.empty()) out.push_back(prefix + "os=linux");
  return out;
}

Result<std::vector<HostImplementation>> read_lab_implementations(const std::filesystem::path& lab_json,
                                                                 const scenario::Scenario& scenario) {
  std::ifstream in(lab_json);
  if (!in) return Error(ErrorCode::not_found, lab_json.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  const auto root = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object() || !root.contains("hosts") || !root["hosts"].is_object())
    return Error(ErrorCode::invalid_argument, lab_json.string() + ": no \"hosts\" object");
  const auto& hosts = root["hosts"];
  std::vector<HostImplementation> out;
  for (const auto& h : scenario.hosts) {
    if (!hosts.contains(h.name))
      return Error(ErrorCode::invalid_argument, lab_json.string() + ": hosts." + h.name + ": not recorded");
    HostImplementation impl;
    impl.host = h.name;
    impl.lab = record_text(hosts[h.name]);
    while (!impl.lab.empty() && impl.lab.back() == ' ') impl.lab.pop_back();
    if (impl.lab.empty())
      return Error(ErrorCode::invalid_argument, lab_json.string() + ": hosts." + h.name + ": an empty record");
    impl.sim_overrides = sim_overrides_for(h, impl.lab);
    out.push_back(std::move(impl));
  }
  return out;
}

}  // namespace tether::lab
