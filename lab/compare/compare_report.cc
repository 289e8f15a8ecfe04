// tether-compare's table and compare.json (compare_report.h).

#include "lab/compare/compare_report.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "pcap/compare_report.h"

namespace tether::lab {
namespace {

std::string verdict(const FigureRow& row) {
  if (!row.within) return "-";
  return *row.within ? "ok" : "OUTSIDE";
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string hosts_line(const std::vector<HostImplementation>& hosts) {
  std::string out;
  for (const auto& h : hosts) {
    std::string set;
    for (const auto& o : h.sim_overrides) set += (set.empty() ? "" : " ") + o;
    out += "  " + h.host + ": lab " + h.lab + "; sim " + (set.empty() ? "as the scenario" : "--set " + set) + "\n";
  }
  return out;
}

}  // namespace

std::string compare_text(const CompareHeader& header, const SideBySide& table) {
  std::string out = "tether-compare " + header.scenario + "  seed " + std::to_string(header.seed) + "\n";
  out += "lab " + header.lab_dir + "  sim " + header.sim_dir + "\n";
  out += "hosts (what the lab ran; the simulation's profile for it)\n" + hosts_line(header.hosts);
  out += "latency runs, lab: " + header.lab_latency_from + "; sim: " + header.sim_latency_from + "\n\n";
  std::size_t name_w = 6, lab_w = 3, sim_w = 3, bound_w = 5;
  for (const auto& r : table.rows) {
    name_w = std::max(name_w, r.name.size());
    lab_w = std::max(lab_w, r.lab.size());
    sim_w = std::max(sim_w, r.sim.size());
    bound_w = std::max(bound_w, r.bound.size());
  }
  out += pad("figure", name_w + 2) + pad("lab", lab_w + 2) + pad("sim", sim_w + 2) + pad("bound", bound_w + 2) +
         "verdict\n";
  for (const auto& r : table.rows) {
    std::string line = pad(r.name, name_w + 2) + pad(r.lab, lab_w + 2) + pad(r.sim, sim_w + 2) +
                       pad(r.bound, bound_w + 2) + verdict(r);
    if (!r.detail.empty()) line += "  (" + r.detail + ")";
    out += line + "\n";
  }
  if (table.within()) return out + "\nResult: within every bound\n";
  out += "\nResult: " + std::to_string(table.outside.size()) + " outside their bounds\n";
  for (const auto& o : table.outside) out += "  " + o + "\n";
  return out;
}

std::string compare_json(const CompareHeader& header, const SideBySide& table, const UplinkComparison& uplink) {
  nlohmann::ordered_json j;
  j["scenario"] = header.scenario;
  j["seed"] = header.seed;
  j["lab"] = header.lab_dir;
  j["sim"] = header.sim_dir;
  j["latency_from"] = {{"lab", header.lab_latency_from}, {"sim", header.sim_latency_from}};
  auto hosts = nlohmann::ordered_json::object();
  for (const auto& h : header.hosts) hosts[h.host] = {{"lab", h.lab}, {"sim_overrides", h.sim_overrides}};
  j["hosts"] = hosts;
  auto rows = nlohmann::ordered_json::array();
  for (const auto& r : table.rows) {
    nlohmann::ordered_json row = {{"figure", r.name}, {"lab", r.lab}, {"sim", r.sim}, {"bound", r.bound}};
    row["verdict"] = r.within ? nlohmann::ordered_json(*r.within ? "ok" : "outside") : nlohmann::ordered_json();
    if (!r.detail.empty()) row["detail"] = r.detail;
    rows.push_back(row);
  }
  j["figures"] = rows;
  nlohmann::ordered_json up = {{"links", uplink.links},
                               {"lab_events", uplink.lab_events},
                               {"sim_events", uplink.sim_events},
                               {"problems", uplink.problems}};
  if (uplink.comparison)
    up["comparison"] = nlohmann::ordered_json::parse(
        pcap::comparison_json(*uplink.comparison, pcap::CompareNames{header.lab_dir, header.sim_dir}));
  j["uplink"] = up;
  j["outside"] = table.outside;
  j["pass"] = table.within();
  return j.dump(2) + "\n";
}

}  // namespace tether::lab
