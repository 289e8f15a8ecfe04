// tether-compare's tolerances (compare_bounds.h).

#include "lab/compare/compare_bounds.h"

#include <algorithm>

namespace tether::lab {
namespace {

bool is_count(const std::string& figure) {
  return figure != "availability" && figure.rfind("latency", 0) != 0;
}

// The pcap measure whose value syntax a figure's bound takes: counts are
// whole events; latency a duration; availability a fraction 0..1.
pcap::CompareMeasure syntax_of(const std::string& figure) {
  if (figure == "availability") return pcap::CompareMeasure::ks;
  return is_count(figure) ? pcap::CompareMeasure::count : pcap::CompareMeasure::w1;
}

bool is_uplink_measure(std::string_view head) {
  if (head.find(':') != std::string_view::npos) return true;  // KINDS:MEASURE
  return head == "count" || head == "ks" || head == "w1" || head == "time" || head == "order";
}

Result<FigureBound> parse_bound(const std::string& figure, std::string_view value) {
  FigureBound bound;
  if (value == "off") return bound;
  std::string_view rest = value;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    auto b = pcap::parse_tolerance_bound(syntax_of(figure), part);
    if (!b.ok()) return b.error();
    if (b->checked()) bound.any.push_back(*b);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return bound;
}

}  // namespace

bool FigureBound::admits(double difference, double scale) const {
  if (!checked()) return true;
  return std::any_of(any.begin(), any.end(), [&](const auto& b) { return b.admits(difference, scale); });
}

std::string FigureBound::text() const {
  if (!checked()) return "off";
  std::string out;
  for (const auto& b : any) out += (out.empty() ? "" : ",") + b.text;
  return out;
}

const std::vector<std::string>& CompareBounds::figures() {
  static const std::vector<std::string> names = {
      "delivered",   "undelivered", "bounced",      "via_backup", "latency.p50",  "latency.p95",
      "latency.max", "availability", "handshakes",  "keepalives", "nat_expiries", "retries"};
  return names;
}

CompareBounds::CompareBounds() {
  for (const auto& name : figures()) figures_[name] = FigureBound{};
  for (const char* rule : {"delivered=0", "undelivered=0", "bounced=0", "latency=5%,100ms", "handshakes=1"})
    (void)add(rule);
  // The uplink: only the control messages' order is issue 12's goal; the
  // counts and interval distances are reported beside it.
  for (const char* rule : {"count=off", "w1=off", "order=exact"}) (void)uplink_.add(rule);
}

Result<void> CompareBounds::add(std::string_view rule) {
  const auto eq = rule.find('=');
  if (eq == std::string_view::npos)
    return Error(ErrorCode::invalid_argument,
                 "--tolerance '" + std::string(rule) + "': expected NAME=BOUND, e.g. latency=5%,100ms");
  const std::string_view head = rule.substr(0, eq), value = rule.substr(eq + 1);
  if (is_uplink_measure(head)) return uplink_.add(rule);
  std::vector<std::string> names;
  if (head == "latency")
    names = {"latency.p50", "latency.p95", "latency.max"};
  else if (figures_.count(std::string(head)))
    names = {std::string(head)};
  else {
    std::string known;
    for (const auto& n : figures()) known += (known.empty() ? "" : ", ") + n;
    return Error(ErrorCode::invalid_argument, "--tolerance '" + std::string(rule) + "': no figure '" +
                                                  std::string(head) + "' (" + known +
                                                  ", latency; or an uplink rule [KINDS:]count|ks|w1|time=V, order=V)");
  }
  for (const auto& name : names) {
    auto bound = parse_bound(name, value);
    if (!bound.ok())
      return Error(ErrorCode::invalid_argument, "--tolerance '" + std::string(rule) + "': " + bound.error().message);
    figures_[name] = *bound;
  }
  return {};
}

const FigureBound& CompareBounds::figure(const std::string& name) const {
  static const FigureBound off;
  const auto it = figures_.find(name);
  return it == figures_.end() ? off : it->second;
}

}  // namespace tether::lab
