#include "pcap/compare_report.h"

#include <cstdarg>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "pcap/timeline_format.h"

namespace tether::pcap {
namespace {

using Json = nlohmann::ordered_json;

std::string printed(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string printed(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

const char* verdict(bool pass) {
  return pass ? "ok" : "FAIL";
}

std::string bound_text(const ToleranceBound& b) {
  return b.checked() ? b.text : "-";
}

std::string side_line(const char* label, const std::string& name, const CompareSideSummary& s) {
  std::string out = printed("%s: %s\n   %zu events from %s (its anchor)", label, name.c_str(), s.events,
                            format_wall_time(s.anchor).c_str());
  if (s.left_out) out += printed(", %zu left out (before the anchor or past the span)", s.left_out);
  return out + "\n";
}

std::string control_row_text(const char* side, const std::optional<ControlRow>& row) {
  if (!row) return printed("    %s: (no more)\n", side);
  return printed("    %s: +%.6f s %s %s > %s  %s\n", side, row->at_s, row->kind.c_str(), row->source.c_str(),
                 row->destination.c_str(), row->detail.c_str());
}

void counts_text(std::string& out, const Comparison& c) {
  out += "\nEvent counts\n";
  out += printed("  %-44s %8s %8s  %-8s\n", "kind", "A", "B", "bound");
  for (const KindCount& k : c.counts)
    out += printed("  %-44s %8zu %8zu  %-8s %s\n", k.key.c_str(), k.a, k.b, bound_text(k.bound).c_str(),
                   verdict(k.pass));
}

void order_text(std::string& out, const Comparison& c) {
  const ControlOrder& o = c.order;
  out += printed("\nTunnel control messages (initiation, response, cookie reply): %zu in A, %zu in B: ", o.a,
                 o.b);
  if (o.equal) {
    out += printed("same order  %s\n", verdict(o.pass));
    return;
  }
  out += printed("first difference at #%zu (order=%s)  %s\n", *o.first_difference + 1, to_string(o.check),
                 verdict(o.pass));
  out += control_row_text("A", o.a_row);
  out += control_row_text("B", o.b_row);
}

void intervals_text(std::string& out, const Comparison& c) {
  out += "\nIntervals (seconds; n, median and mean for A | for B)\n";
  out += printed("  %-28s %5s %10s %10s | %5s %10s %10s %7s %10s  %-12s\n", "kind", "n", "median", "mean",
                 "n", "median", "mean", "KS", "W1", "bounds ks/w1");
  for (const IntervalComparison& i : c.intervals) {
    out += printed("  %-28s %5zu %10.6f %10.6f | %5zu %10.6f %10.6f %7s %10s  %-12s %s\n", i.key.c_str(),
                   i.a_summary.n, i.a_summary.median, i.a_summary.mean, i.b_summary.n, i.b_summary.median,
                   i.b_summary.mean, i.ks ? printed("%.4f", *i.ks).c_str() : "-",
                   i.w1 ? printed("%.6f", *i.w1).c_str() : "-",
                   (bound_text(i.ks_bound) + "/" + bound_text(i.w1_bound)).c_str(), verdict(i.pass));
    out += printed("    %s\n", i.what.c_str());
  }
}

void matched_text(std::string& out, const Comparison& c) {
  out += "\nMatched events (the i-th of a kind in A with the i-th in B; B - A, each from its anchor)\n";
  out += printed("  %-44s %8s %12s %12s  %-8s\n", "kind", "matched", "mean", "max |B-A|", "bound");
  for (const MatchedTimes& m : c.matched)
    out += printed("  %-44s %8zu %12.6f %12.6f  %-8s %s\n", m.key.c_str(), m.matched, m.mean_s, m.max_abs_s,
                   bound_text(m.bound).c_str(), verdict(m.pass));
}

Json bound_json(const ToleranceBound& b) {
  return b.checked() ? Json(b.text) : Json(nullptr);
}

Json optional_json(const std::optional<double>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json row_json(const std::optional<ControlRow>& row) {
  if (!row) return nullptr;
  return Json{{"time_s", row->at_s},
              {"source", row->source},
              {"destination", row->destination},
              {"kind", row->kind},
              {"detail", row->detail}};
}

Json summary_json(const SampleSummary& s) {
  if (!s.n) return Json{{"n", 0}};
  return Json{{"n", s.n}, {"min", s.min}, {"median", s.median}, {"mean", s.mean}, {"max", s.max}};
}

Json side_json(const std::string& name, const CompareSideSummary& s) {
  return Json{{"input", name},
              {"events", s.events},
              {"left_out", s.left_out},
              {"anchor", format_epoch_seconds(s.anchor)}};
}

}  // namespace

std::string comparison_text(const Comparison& c, const CompareNames& names) {
  std::string out = side_line("A", names.a, c.a) + side_line("B", names.b, c.b);
  counts_text(out, c);
  order_text(out, c);
  intervals_text(out, c);
  matched_text(out, c);
  if (c.pass()) return out + "\nResult: within every bound\n";
  out += printed("\nResult: %zu outside their bounds\n", c.failures.size());
  for (const std::string& f : c.failures) out += "  " + f + "\n";
  return out;
}

std::string comparison_json(const Comparison& c, const CompareNames& names) {
  Json j;
  j["pass"] = c.pass();
  j["a"] = side_json(names.a, c.a);
  j["b"] = side_json(names.b, c.b);
  Json counts = Json::array();
  for (const KindCount& k : c.counts)
    counts.push_back(
        {{"kind", k.key}, {"a", k.a}, {"b", k.b}, {"bound", bound_json(k.bound)}, {"pass", k.pass}});
  j["counts"] = counts;
  const ControlOrder& o = c.order;
  j["control_order"] = {{"a", o.a},
                        {"b", o.b},
                        {"equal", o.equal},
                        {"first_difference", o.first_difference ? Json(*o.first_difference) : Json(nullptr)},
                        {"a_row", row_json(o.a_row)},
                        {"b_row", row_json(o.b_row)},
                        {"check", to_string(o.check)},
                        {"pass", o.pass}};
  Json intervals = Json::array();
  for (const IntervalComparison& i : c.intervals)
    intervals.push_back({{"kind", i.key},
                         {"what", i.what},
                         {"a", summary_json(i.a_summary)},
                         {"b", summary_json(i.b_summary)},
                         {"ks", optional_json(i.ks)},
                         {"w1_s", optional_json(i.w1)},
                         {"ks_bound", bound_json(i.ks_bound)},
                         {"w1_bound", bound_json(i.w1_bound)},
                         {"pass", i.pass},
                         {"a_intervals_s", i.a},
                         {"b_intervals_s", i.b}});
  j["intervals"] = intervals;
  Json matched = Json::array();
  for (const MatchedTimes& m : c.matched)
    matched.push_back({{"kind", m.key},
                       {"matched", m.matched},
                       {"mean_s", m.mean_s},
                       {"max_abs_s", m.max_abs_s},
                       {"max_at", m.max_at},
                       {"bound", bound_json(m.bound)},
                       {"pass", m.pass}});
  j["matched"] = matched;
  j["failures"] = c.failures;
  // Details quote packets: bytes that are not UTF-8 are replaced, not thrown over.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace tether::pcap
