#include "pcap/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "pcap/distribution_distance.h"

namespace tether::pcap {
namespace {

// One event as compare sees it: its kind keys and its time from the anchor.
struct KeyedEvent {
  const TimelineEvent* event = nullptr;
  double at_s = 0;
  std::string key;         // "wg.keepalive", "wg/tcp.syn"
  std::string sender_key;  // "wg.keepalive.initiator"; empty when not a transport message of a known session
};

std::string base_key(const TimelineEvent& e) {
  return (e.layer.empty() ? std::string() : e.layer + "/") + e.protocol + "." + e.kind;
}

bool is_wire_wireguard(const TimelineEvent& e) {
  return e.layer.empty() && e.protocol == "wg" && e.wg_type;
}

// Each transport message's sending end, from the indexes of the handshakes
// before it (see compare.h). Indexes are random 32-bit values: one naming
// both an initiator and a responder is not a case worth a rule.
class SessionEnds {
 public:
  std::string sender_suffix(const TimelineEvent& e) {
    if (!is_wire_wireguard(e)) return {};
    if (*e.wg_type == 1 && e.wg_sender) initiators_.insert(*e.wg_sender);
    if (*e.wg_type == 2 && e.wg_sender) responders_.insert(*e.wg_sender);
    if (*e.wg_type != 4 || !e.wg_receiver) return {};
    if (responders_.count(*e.wg_receiver)) return ".initiator";
    if (initiators_.count(*e.wg_receiver)) return ".responder";
    return {};
  }

 private:
  std::set<std::uint32_t> initiators_, responders_;
};

double seconds_between(WallTime from, WallTime to) {
  return double(to.unix_ns() - from.unix_ns()) / 1e9;
}

Result<std::vector<KeyedEvent>> keyed(const std::vector<TimelineEvent>& events, const CompareOptions& options,
                                      const char* side, CompareSideSummary& summary) {
  std::vector<KeyedEvent> all;
  for (const TimelineEvent& e : events) all.push_back(KeyedEvent{&e, 0, base_key(e), {}});
  // In time order before the session ends are followed: a handshake's
  // indexes are learnt before the transport messages that name them.
  std::stable_sort(all.begin(), all.end(),
                   [](const KeyedEvent& x, const KeyedEvent& y) { return x.event->at < y.event->at; });
  SessionEnds ends;
  for (KeyedEvent& k : all)
    if (std::string suffix = ends.sender_suffix(*k.event); !suffix.empty()) k.sender_key = k.key + suffix;
  auto anchor = std::find_if(all.begin(), all.end(), [&](const KeyedEvent& k) {
    return options.anchor.empty() || k.key == options.anchor || k.sender_key == options.anchor;
  });
  if (anchor == all.end())
    return make_error(ErrorCode::not_found,
                      std::string(side) + ": " +
                          (options.anchor.empty() ? "no events to compare"
                                                  : "no event of kind " + options.anchor + " to anchor on"));
  summary.anchor = anchor->event->at;
  std::vector<KeyedEvent> kept;
  for (auto it = anchor; it != all.end(); ++it) {
    it->at_s = seconds_between(summary.anchor, it->event->at);
    if (options.span && it->event->at - summary.anchor >= *options.span) continue;
    kept.push_back(*it);
  }
  summary.events = kept.size();
  summary.left_out = all.size() - kept.size();
  return kept;
}

std::string number(double v, const char* format = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string seconds_text(double s) {
  return number(s, "%.6f") + " s";
}

// What a bound allows, spelt out for a failure line: "10% (2.5 s)".
std::string allowed(const ToleranceBound& b, double scale, bool in_seconds) {
  if (b.kind != ToleranceBound::Kind::relative) return b.text;
  const double v = b.value * scale;
  return b.text + " (" + (in_seconds ? seconds_text(v) : number(v)) + ")";
}

std::vector<KindCount> count_kinds(const std::vector<KeyedEvent>& a, const std::vector<KeyedEvent>& b,
                                   const CompareTolerances& tolerances, std::vector<std::string>& failures) {
  std::map<std::string, KindCount> counts;
  auto tally = [&](const std::vector<KeyedEvent>& events, std::size_t KindCount::*side) {
    for (const KeyedEvent& k : events) {
      ++(counts[k.key].*side);
      if (!k.sender_key.empty()) ++(counts[k.sender_key].*side);
    }
  };
  tally(a, &KindCount::a);
  tally(b, &KindCount::b);
  std::vector<KindCount> out;
  for (auto& [key, c] : counts) {
    c.key = key;
    c.bound = tolerances.bound(key, CompareMeasure::count);
    const double difference = double(c.a > c.b ? c.a - c.b : c.b - c.a);
    const double larger = double(std::max(c.a, c.b));
    c.pass = c.bound.admits(difference, larger);
    if (!c.pass)
      failures.push_back(key + ": count " + std::to_string(c.a) + " in A, " + std::to_string(c.b) +
                         " in B: they differ by " + number(difference) + ", more than " +
                         allowed(c.bound, larger, false));
    out.push_back(std::move(c));
  }
  return out;
}

ControlRow control_row(const KeyedEvent& k) {
  return ControlRow{k.at_s, k.event->source, k.event->destination, k.event->kind, k.event->detail};
}

ControlOrder control_order(const std::vector<KeyedEvent>& a, const std::vector<KeyedEvent>& b,
                           OrderCheck check, std::vector<std::string>& failures) {
  auto control = [](const std::vector<KeyedEvent>& events) {
    std::vector<const KeyedEvent*> out;
    for (const KeyedEvent& k : events)
      if (is_wire_wireguard(*k.event) && *k.event->wg_type != 4) out.push_back(&k);
    return out;
  };
  const auto ca = control(a), cb = control(b);
  ControlOrder o;
  o.a = ca.size();
  o.b = cb.size();
  o.check = check;
  const std::size_t common = std::min(ca.size(), cb.size());
  std::size_t i = 0;
  while (i < common && ca[i]->event->kind == cb[i]->event->kind) ++i;
  o.equal = i == common && ca.size() == cb.size();
  if (!o.equal) {
    o.first_difference = i;
    if (i < ca.size()) o.a_row = control_row(*ca[i]);
    if (i < cb.size()) o.b_row = control_row(*cb[i]);
  }
  const bool prefix = i == common;
  o.pass = check == OrderCheck::off || o.equal || (check == OrderCheck::prefix && prefix);
  if (!o.pass) {
    std::string at = "#" + std::to_string(i + 1) + ": A " + (o.a_row ? o.a_row->kind : std::string("ends")) +
                     ", B " + (o.b_row ? o.b_row->kind : std::string("ends"));
    failures.push_back("tunnel control messages: the order differs at " + at + " (order=" + to_string(check) +
                       ")");
  }
  return o;
}

// The kinds whose spacing compare measures, and what that spacing is. A
// kind "per attempt" is measured between events of one source and
// destination only: a SYN's retransmissions, not one connection and the next.
struct IntervalKind {
  const char* key;  // without the layer
  const char* what;
  bool per_attempt;
};
constexpr IntervalKind kIntervalKinds[] = {
    {"wg.initiation", "initiation spacing (retries and rekeys)", false},
    {"wg.response", "response spacing", false},
    {"wg.cookie-reply", "cookie reply spacing", false},
    {"wg.keepalive", "keepalive interval, either end", false},
    {"wg.keepalive.initiator", "keepalive interval, sent by the session's initiator", false},
    {"wg.keepalive.responder", "keepalive interval, sent by the session's responder", false},
    {"icmp.unreachable", "unreachable spacing", false},
    {"smtp.transaction", "transaction spacing", false},
    {"tcp.syn", "SYN retry spacing (within one connection attempt)", true},
};

const IntervalKind* interval_kind(const std::string& key) {
  const std::size_t slash = key.find('/');
  const std::string bare = slash == std::string::npos ? key : key.substr(slash + 1);
  for (const IntervalKind& k : kIntervalKinds)
    if (bare == k.key) return &k;
  return nullptr;
}

std::map<std::string, std::vector<double>> intervals_by_key(const std::vector<KeyedEvent>& events) {
  std::map<std::string, std::vector<double>> out;
  std::map<std::string, double> last;  // key (and attempt) -> time of the last one
  for (const KeyedEvent& k : events) {
    for (const std::string* key : {&k.key, &k.sender_key}) {
      const IntervalKind* kind = key->empty() ? nullptr : interval_kind(*key);
      if (!kind) continue;
      const std::string slot =
          kind->per_attempt ? *key + " " + k.event->source + ">" + k.event->destination : *key;
      auto [it, first] = last.try_emplace(slot, k.at_s);
      out[*key];  // the kind is there even with one event
      if (!first) {
        out[*key].push_back(k.at_s - it->second);
        it->second = k.at_s;
      }
    }
  }
  return out;
}

SampleSummary summarise(std::vector<double> v) {
  SampleSummary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / double(v.size());
  return s;
}

std::vector<IntervalComparison> compare_intervals(const std::vector<KeyedEvent>& a,
                                                  const std::vector<KeyedEvent>& b,
                                                  const CompareTolerances& tolerances,
                                                  std::vector<std::string>& failures) {
  auto ia = intervals_by_key(a), ib = intervals_by_key(b);
  std::set<std::string> keys;
  for (const auto& [key, v] : ia) keys.insert(key);
  for (const auto& [key, v] : ib) keys.insert(key);
  std::vector<IntervalComparison> out;
  for (const std::string& key : keys) {
    IntervalComparison c;
    c.key = key;
    c.what = interval_kind(key)->what;
    c.a = ia[key];
    c.b = ib[key];
    if (c.a.empty() && c.b.empty()) continue;  // one event at most on each side: no spacing to speak of
    c.a_summary = summarise(c.a);
    c.b_summary = summarise(c.b);
    c.ks = ks_statistic(c.a, c.b);
    c.w1 = wasserstein1(c.a, c.b);
    c.ks_bound = tolerances.bound(key, CompareMeasure::ks);
    c.w1_bound = tolerances.bound(key, CompareMeasure::w1);
    // A side without intervals has nothing to measure; its count says why.
    if (c.ks && !c.ks_bound.admits(*c.ks, 1.0)) {
      c.pass = false;
      failures.push_back(key + " intervals (" + c.what + "): KS " + number(*c.ks, "%.4f") + ", more than " +
                         c.ks_bound.text + " (medians " + seconds_text(c.a_summary.median) + " in A, " +
                         seconds_text(c.b_summary.median) + " in B)");
    }
    const double scale = std::max(c.a_summary.mean, c.b_summary.mean);
    if (c.w1 && !c.w1_bound.admits(*c.w1, scale)) {
      c.pass = false;
      failures.push_back(key + " intervals (" + c.what + "): W1 " + seconds_text(*c.w1) + ", more than " +
                         allowed(c.w1_bound, scale, true) + " (medians " + seconds_text(c.a_summary.median) +
                         " in A, " + seconds_text(c.b_summary.median) + " in B)");
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<MatchedTimes> match_times(const std::vector<KeyedEvent>& a, const std::vector<KeyedEvent>& b,
                                      const CompareTolerances& tolerances,
                                      std::vector<std::string>& failures) {
  std::map<std::string, std::vector<double>> ta, tb;
  for (const KeyedEvent& k : a) ta[k.key].push_back(k.at_s);
  for (const KeyedEvent& k : b) tb[k.key].push_back(k.at_s);
  std::vector<MatchedTimes> out;
  for (const auto& [key, times_a] : ta) {
    auto it = tb.find(key);
    if (it == tb.end()) continue;
    MatchedTimes m;
    m.key = key;
    m.matched = std::min(times_a.size(), it->second.size());
    double sum = 0;
    for (std::size_t i = 0; i < m.matched; ++i) {
      const double d = it->second[i] - times_a[i];
      sum += d;
      if (std::fabs(d) > m.max_abs_s) m.max_abs_s = std::fabs(d), m.max_at = i;
    }
    m.mean_s = sum / double(m.matched);
    m.bound = tolerances.bound(key, CompareMeasure::time);
    m.pass = m.bound.admits(m.max_abs_s, 0);
    if (!m.pass)
      failures.push_back(key + ": matched events differ by up to " + seconds_text(m.max_abs_s) + " (match #" +
                         std::to_string(m.max_at + 1) + "), more than " + m.bound.text);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

Result<Comparison> compare_timelines(const std::vector<TimelineEvent>& a, const std::vector<TimelineEvent>& b,
                                     const CompareOptions& options) {
  Comparison c;
  auto ka = keyed(a, options, "A", c.a);
  if (!ka.ok()) return ka.error();
  auto kb = keyed(b, options, "B", c.b);
  if (!kb.ok()) return kb.error();
  const CompareTolerances& t = options.tolerances;
  c.counts = count_kinds(*ka, *kb, t, c.failures);
  c.order = control_order(*ka, *kb, t.order(), c.failures);
  c.intervals = compare_intervals(*ka, *kb, t, c.failures);
  c.matched = match_times(*ka, *kb, t, c.failures);
  return c;
}

}  // namespace tether::pcap
