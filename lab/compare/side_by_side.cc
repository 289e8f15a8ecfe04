// The figures side by side, each against its bound (side_by_side.h).

#include "lab/compare/side_by_side.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tether::lab {
namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A figure checked against its bound, the scale of a relative bound being
// the larger of the two values (as tether-pcap compare scales its counts).
void add_figure(SideBySide& out, const CompareBounds& bounds, const std::string& name, double lab, double sim,
                const std::string& lab_text, const std::string& sim_text) {
  FigureRow row{name, lab_text, sim_text, {}, {}, {}};
  const FigureBound& bound = bounds.figure(name);
  row.bound = bound.text();
  if (bound.checked()) {
    const double difference = std::fabs(lab - sim);
    row.within = bound.admits(difference, std::max(std::fabs(lab), std::fabs(sim)));
    if (!*row.within) {
      row.detail = "differs by " + fixed(difference, name.rfind("latency", 0) == 0 ? 3 : 0) + ", more than " +
                   row.bound;
      out.outside.push_back(name + ": lab " + lab_text + ", sim " + sim_text + ": " + row.detail);
    }
  }
  out.rows.push_back(std::move(row));
}

void add_count(SideBySide& out, const CompareBounds& bounds, const std::string& name, std::uint64_t lab,
               std::uint64_t sim) {
  add_figure(out, bounds, name, double(lab), double(sim), std::to_string(lab), std::to_string(sim));
}

void add_relays(SideBySide& out, const RunFigures& lab, const RunFigures& sim) {
  auto of = [](const RunFigures& f, const std::string& host) -> std::string {
    for (const auto& r : f.relays)
      if (r.host == host) return std::to_string(r.retries) + "/" + std::to_string(r.attempts);
    return "-";
  };
  std::vector<std::string> hosts;
  for (const auto* f : {&lab, &sim})
    for (const auto& r : f->relays)
      if (std::find(hosts.begin(), hosts.end(), r.host) == hosts.end()) hosts.push_back(r.host);
  for (const auto& h : hosts)
    out.rows.push_back(FigureRow{"retries/attempts " + h, of(lab, h), of(sim, h), "off", {}, {}});
}

std::string control_detail(const pcap::ControlOrder& o) {
  if (o.equal) return {};
  auto row = [](const std::optional<pcap::ControlRow>& r) {
    return r ? r->kind + " at " + fixed(r->at_s, 3) + " s " + r->source + " > " + r->destination : std::string("end");
  };
  return "first difference #" + std::to_string(*o.first_difference + 1) + ": lab " + row(o.a_row) + ", sim " +
         row(o.b_row);
}

void add_uplink(SideBySide& out, const UplinkComparison& uplink, const CompareBounds& bounds) {
  const std::string link = uplink.links.empty() ? std::string() : uplink.links.front();
  FigureRow order{"uplink control order", {}, {}, pcap::to_string(bounds.uplink().order()), {}, {}};
  if (!uplink.comparison) {
    order.lab = std::to_string(uplink.lab_events) + " events";
    order.sim = std::to_string(uplink.sim_events) + " events";
  } else {
    const auto& o = uplink.comparison->order;
    order.lab = std::to_string(o.a) + " messages";
    order.sim = std::to_string(o.b) + " messages";
    order.detail = control_detail(o);
  }
  if (bounds.uplink().order() != pcap::OrderCheck::off) order.within = uplink.pass();
  out.rows.push_back(order);
  for (const auto& f : uplink.failures) out.outside.push_back("uplink (" + link + "): " + f);
  if (!uplink.comparison) return;
  for (const auto& k : uplink.comparison->counts)
    if (k.key.rfind("wg.", 0) == 0)
      out.rows.push_back(FigureRow{"uplink " + k.key, std::to_string(k.a), std::to_string(k.b), k.bound.text,
                                   k.bound.checked() ? std::optional<bool>(k.pass) : std::nullopt, {}});
  for (const auto& i : uplink.comparison->intervals) {
    if (i.a.empty() && i.b.empty()) continue;
    FigureRow row{"uplink " + i.key + " interval median", fixed(i.a_summary.median, 3) + " s",
                  fixed(i.b_summary.median, 3) + " s", i.w1_bound.text, {}, {}};
    if (i.w1) row.detail = "W1 " + fixed(*i.w1, 3) + " s" + (i.ks ? ", KS " + fixed(*i.ks, 2) : std::string());
    if (i.w1_bound.checked() || i.ks_bound.checked()) row.within = i.pass;
    out.rows.push_back(std::move(row));
  }
}

}  // namespace

SideBySide side_by_side(const RunFigures& lab, const RunFigures& sim, const CompareBounds& bounds,
                        const UplinkComparison& uplink) {
  SideBySide out;
  add_count(out, bounds, "delivered", lab.delivered, sim.delivered);
  add_count(out, bounds, "undelivered", lab.undelivered, sim.undelivered);
  add_count(out, bounds, "bounced", lab.bounced, sim.bounced);
  add_count(out, bounds, "via_backup", lab.via_backup, sim.via_backup);
  const std::pair<const char*, double RunFigures::*> latencies[] = {
      {"latency.p50", &RunFigures::latency_p50}, {"latency.p95", &RunFigures::latency_p95},
      {"latency.max", &RunFigures::latency_max}};
  for (const auto& [name, field] : latencies)
    add_figure(out, bounds, name, lab.*field, sim.*field, fixed(lab.*field, 3) + " s", fixed(sim.*field, 3) + " s");
  add_figure(out, bounds, "availability", lab.availability, sim.availability,
             fixed(lab.availability * 100, 2) + " %", fixed(sim.availability * 100, 2) + " %");
  add_count(out, bounds, "handshakes", lab.handshakes, sim.handshakes);
  add_count(out, bounds, "keepalives", lab.keepalives, sim.keepalives);
  add_count(out, bounds, "nat_expiries", lab.nat_expiries, sim.nat_expiries);
  add_count(out, bounds, "retries", lab.relay_retries, sim.relay_retries);
  add_relays(out, lab, sim);
  add_uplink(out, uplink, bounds);
  return out;
}

}  // namespace tether::lab
