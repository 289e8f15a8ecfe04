// A bracket on a NAT's UDP idle timeout, from the WireGuard traffic of a
// side behind it ("inside": --inside, or the side that sent a pair's first
// initiation, as a home behind a NAT dials its relay).
//
// A probe is an inbound packet (from the peer to the inside endpoint, the
// mapping as the capture shows it) that calls for an answer:
//   - an initiation: answered by a response to it (receiver index = its
//     sender index) within REKEY_TIMEOUT (5 s);
//   - a data message: answered by anything the inside endpoint sends within
//     1 s, or by its passive keepalive 10-11 s later (a side that received
//     data always sends one then if it sent nothing else; timers.c).
// It worked when answered. It failed when an ICMP unreachable quoting it
// came back (the NAT's own "port unreachable" for a mapping it no longer
// has), or when the inside endpoint sent nothing at all within the answer's
// window while the capture went on. Anything else (the inside sent something
// that is not an answer) is unknown and not used.
//
// The gaps, measured where the capture was taken:
//   - a probe that worked gives a lower bound: the time since the previous
//     packet of the pair either way. The mapping was alive throughout (no
//     outbound packet re-created it), so whether the NAT refreshes a mapping
//     on inbound packets or only outbound, it had been idle at least that
//     long without expiring;
//   - a probe that failed gives an upper bound: the time since the inside's
//     last outbound packet. Every refresh was at or after it, so the mapping
//     had been idle at most that long when it was gone.
// The bracket is [longest gap that worked, shortest gap that failed]; when
// the two cross, the NAT is not a plain idle timer (or the capture misses
// packets), and the note says so.

#include <algorithm>
#include <cstdio>
#include <map>

#include "pcap/infer.h"
#include "pcap/infer_pairs.h"

namespace tether::pcap {

namespace {

constexpr double kPromptAnswer = 1.0;
constexpr double kIcmpWindow = 2.0;
constexpr double kPassiveSlack = 1.0;

enum class Outcome { worked, failed, unknown };

struct ProbeContext {
  const WireGuardPair& pair;
  const std::string& inside;   // endpoint
  const std::string& outside;  // endpoint
  const std::vector<WallTime>& unreachables;  // ICMP unreachable quoting outside -> inside
  WallTime capture_end;
};

// The outcome of pair.events[i], an inbound initiation or data message.
Outcome outcome_of(const ProbeContext& c, std::size_t i) {
  const TimelineEvent& probe = *c.pair.events[i];
  for (WallTime at : c.unreachables)
    if (!(at < probe.at) && (at - probe.at).seconds_f() <= kIcmpWindow) return Outcome::failed;
  const bool initiation = probe.kind == "initiation";
  const double window = initiation ? kRekeyTimeout : kKeepaliveTimeout + kPassiveSlack;
  const TimelineEvent* first_out = nullptr;
  for (std::size_t j = i + 1; j < c.pair.events.size(); ++j) {
    const TimelineEvent& e = *c.pair.events[j];
    double after = seconds_between(probe, e);
    if (after > window) break;
    if (e.source != c.inside) continue;
    if (initiation && e.kind == "response" && e.wg_receiver && probe.wg_sender && *e.wg_receiver == *probe.wg_sender)
      return Outcome::worked;
    if (!first_out) first_out = &e;
  }
  if (!first_out) return (c.capture_end - probe.at).seconds_f() > window ? Outcome::failed : Outcome::unknown;
  if (initiation) return Outcome::unknown;
  double after = seconds_between(probe, *first_out);
  if (after <= kPromptAnswer) return Outcome::worked;
  if (first_out->kind == "keepalive" && after >= kKeepaliveTimeout - 0.1) return Outcome::worked;
  return Outcome::unknown;
}

struct Gaps {
  std::vector<double> worked, failed;
  double at_least = -1, below = -1;
  std::string at_least_evidence, below_evidence;
  std::size_t unknown = 0;
};

void probe_pair(const Timeline& timeline, const ProbeContext& c, Gaps& gaps) {
  const TimelineEvent* last_out = nullptr;
  for (std::size_t i = 0; i < c.pair.events.size(); ++i) {
    const TimelineEvent& e = *c.pair.events[i];
    if (e.source == c.inside) {
      last_out = &e;
      continue;
    }
    if (!last_out || (e.kind != "initiation" && e.kind != "data")) continue;
    double since_out = seconds_between(*last_out, e);
    double since_any = seconds_between(*c.pair.events[i - 1], e);
    switch (outcome_of(c, i)) {
      case Outcome::worked:
        gaps.worked.push_back(since_any);
        if (since_any > gaps.at_least) {
          gaps.at_least = since_any;
          gaps.at_least_evidence = e.kind + " " + packet_reference(timeline, e) + " " + e.source + " -> " +
                                   e.destination + " answered";
        }
        break;
      case Outcome::failed:
        gaps.failed.push_back(since_out);
        if (gaps.below < 0 || since_out < gaps.below) {
          gaps.below = since_out;
          gaps.below_evidence = e.kind + " " + packet_reference(timeline, e) + " " + e.source + " -> " +
                                e.destination + " not answered";
        }
        break;
      case Outcome::unknown: ++gaps.unknown; break;
    }
  }
}

// ICMP unreachables by what they quote ("udp A:P -> B:Q"), per capture.
std::map<std::pair<std::size_t, std::string>, std::vector<WallTime>> unreachables_by_quote(const Timeline& timeline) {
  std::map<std::pair<std::size_t, std::string>, std::vector<WallTime>> out;
  for (const TimelineEvent& e : timeline.events) {
    if (e.protocol != "icmp" || e.kind != "unreachable" || !e.layer.empty()) continue;
    auto udp = e.detail.find("udp ");
    if (udp != std::string::npos) out[{e.capture, e.detail.substr(udp + 4)}].push_back(e.at);
  }
  return out;
}

}  // namespace

void infer_nat(const Timeline& timeline, const InferOptions& options, Inference& out) {
  const auto pairs = wireguard_pairs(timeline);
  std::map<std::size_t, WallTime> ends;
  for (const TimelineEvent& e : timeline.events) ends[e.capture] = std::max(ends[e.capture], e.at);
  const auto unreachables = unreachables_by_quote(timeline);
  const std::vector<WallTime> none;

  // The inside address of each pair, and why.
  std::map<std::pair<std::size_t, std::string>, std::string> why_inside;
  std::vector<std::string> inside_of(pairs.size());
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    const WireGuardPair& pair = pairs[p];
    for (const std::string& side : {pair.a, pair.b}) {
      std::string address = endpoint_address(side);
      if (std::find(options.inside.begin(), options.inside.end(), address) != options.inside.end()) {
        inside_of[p] = side;
        why_inside.emplace(std::make_pair(pair.capture, address), "--inside");
      }
    }
    if (!options.inside.empty()) continue;
    for (const TimelineEvent* e : pair.events) {
      if (e->kind != "initiation") continue;
      inside_of[p] = e->source;
      why_inside.emplace(std::make_pair(pair.capture, endpoint_address(e->source)),
                         "sent the first initiation of " + pair.a + " <-> " + pair.b);
      break;
    }
  }

  std::map<std::pair<std::size_t, std::string>, Gaps> gaps;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    if (inside_of[p].empty()) continue;
    const WireGuardPair& pair = pairs[p];
    const std::string& inside = inside_of[p];
    const std::string& outside = inside == pair.a ? pair.b : pair.a;
    auto quoted = unreachables.find({pair.capture, outside + " -> " + inside});
    ProbeContext context{pair, inside, outside, quoted == unreachables.end() ? none : quoted->second,
                         ends[pair.capture]};
    probe_pair(timeline, context, gaps[{pair.capture, endpoint_address(inside)}]);
  }

  for (auto& [key, g] : gaps) {
    NatBracket b;
    b.capture = key.first;
    b.inside = key.second;
    b.why_inside = why_inside[key];
    b.unknown = g.unknown;
    b.worked = figure_of(g.worked, "cannot tell: no inbound packet to " + b.inside + " was seen answered");
    b.failed = figure_of(g.failed, "cannot tell: no inbound packet to " + b.inside + " was seen go unanswered");
    if (g.at_least >= 0) b.at_least = g.at_least, b.at_least_evidence = g.at_least_evidence;
    if (g.below >= 0) b.below = g.below, b.below_evidence = g.below_evidence;
    if (!b.at_least && !b.below)
      b.note = "cannot tell: no inbound initiation or data to " + b.inside + " whose outcome the capture shows";
    else if (!b.below)
      b.note = "no upper bound: every inbound packet whose outcome shows was answered (the mapping never expired here)";
    else if (!b.at_least)
      b.note = "no lower bound: no inbound packet to " + b.inside + " was seen answered after a silence";
    else if (*b.at_least >= *b.below)
      b.note = "inconsistent: a mapping survived a longer silence than one that was lost; the NAT is not a plain "
               "idle timer here, or the capture misses packets";
    out.nat.push_back(std::move(b));
  }
}

}  // namespace tether::pcap
