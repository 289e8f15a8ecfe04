// The uplink captures of both worlds compared (uplink_comparison.h).

#include "lab/compare/uplink_comparison.h"

#include "pcap/result_directory.h"

namespace tether::lab {
namespace {

std::size_t control_messages(const std::vector<pcap::TimelineEvent>& events) {
  std::size_t n = 0;
  for (const auto& e : events)
    if (e.layer.empty() && e.protocol == "wg" && e.wg_type && *e.wg_type != 4) ++n;
  return n;
}

Result<pcap::Timeline> side(const std::filesystem::path& run, const std::vector<std::string>& links,
                            const char* name, std::vector<std::string>& problems) {
  auto t = pcap::build_timeline_of_inputs({run.string()}, {}, links, pcap::TimelineOptions{});
  if (!t.ok()) return Error(t.error().code, std::string(name) + ": " + t.error().message);
  for (const auto& p : t->problems) problems.push_back(std::string(name) + ": " + p);
  return t;
}

}  // namespace

Result<UplinkComparison> compare_uplinks(const std::filesystem::path& lab_run, const std::filesystem::path& sim_run,
                                         const std::vector<std::string>& links,
                                         const pcap::CompareTolerances& tolerances) {
  UplinkComparison out;
  out.links = links.empty() ? std::vector<std::string>{kDefaultUplinkLink} : links;
  auto lab = side(lab_run, out.links, "lab", out.problems);
  if (!lab.ok()) return lab.error();
  auto sim = side(sim_run, out.links, "sim", out.problems);
  if (!sim.ok()) return sim.error();
  out.lab_events = lab->events.size();
  out.sim_events = sim->events.size();
  if (lab->events.empty() || sim->events.empty()) {
    // compare_timelines anchors each side on its first event; with none on
    // one side only the control messages' counts can be set side by side.
    const std::size_t a = control_messages(lab->events), b = control_messages(sim->events);
    if (a != b && tolerances.order() != pcap::OrderCheck::off)
      out.failures.push_back("tunnel control messages: " + std::to_string(a) + " in the lab, " + std::to_string(b) +
                             " in the simulation (a side captured nothing on " + out.links.front() + ")");
    return out;
  }
  pcap::CompareOptions options;
  options.tolerances = tolerances;
  auto c = pcap::compare_timelines(lab->events, sim->events, options);
  if (!c.ok()) return c.error();
  out.failures = c->failures;
  out.comparison = std::move(*c);
  return out;
}

}  // namespace tether::lab
