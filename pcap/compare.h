#pragma once
// Two timelines held against each other (`tether-pcap compare A B`): a
// capture and a simulation run, two runs, a published trace and a run.
//
// Events are aligned by kind. A kind's key is PROTOCOL.KIND ("wg.initiation",
// "tcp.syn", "smtp.transaction"), with "wg/" before it inside a decrypted
// tunnel ("wg/smtp.transaction"); WireGuard transport messages also count
// under a key that says which end of their session sent them,
// "wg.keepalive.initiator" and "wg.keepalive.responder": the session's
// initiator (the home, in the seeds' setup) and responder, told apart by
// the indexes the handshake gave each (an initiation's sender index names
// the initiator, a response's the responder, a transport message's receiver
// index the other end), so that no address has to be the same on both sides.
//
// Four views, each checked against CompareTolerances:
//  - counts per kind, side by side;
//  - the order of tunnel control messages (initiations, responses, cookie
//    replies, on the wire): equal, or the first place they differ;
//  - interval distributions of the kinds whose spacing is a setting's
//    signature (keepalives, initiations, responses, cookie replies, ICMP
//    unreachables, SMTP transactions; SYNs within one connection attempt,
//    i.e. retry spacing), with their KS statistic and Wasserstein-1 distance;
//  - matched events: the i-th event of a kind in A with the i-th in B, each
//    timed from its own side's anchor, and the difference B - A.
//
// The anchor is each side's first event, or with `anchor` its first event
// of that kind (e.g. "wg.initiation"); events before it are left out, and
// with `span` so are those `span` or more after it (to hold a short trace
// against a long run).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "pcap/compare_tolerances.h"
#include "pcap/timeline_event.h"

namespace tether::pcap {

struct CompareOptions {
  CompareTolerances tolerances;
  std::string anchor;            // a kind key; empty: each side's first event
  std::optional<Duration> span;  // only events less than this after the anchor
};

struct KindCount {
  std::string key;
  std::size_t a = 0, b = 0;
  ToleranceBound bound;
  bool pass = true;
};

// One tunnel control message, timed from its side's anchor.
struct ControlRow {
  double at_s = 0;
  std::string source, destination, kind, detail;
};

struct ControlOrder {
  std::size_t a = 0, b = 0;  // how many on each side
  bool equal = true;
  std::optional<std::size_t> first_difference;  // from 0; a row is missing where a side ended
  std::optional<ControlRow> a_row, b_row;
  OrderCheck check = OrderCheck::exact;
  bool pass = true;
};

struct SampleSummary {
  std::size_t n = 0;
  double min = 0, median = 0, mean = 0, max = 0;  // seconds
};

struct IntervalComparison {
  std::string key;
  std::string what;          // "keepalive interval, sent by the session's initiator"
  std::vector<double> a, b;  // the intervals, seconds
  SampleSummary a_summary, b_summary;
  std::optional<double> ks, w1;  // w1 in seconds; empty when a side has no interval
  ToleranceBound ks_bound, w1_bound;
  bool pass = true;
};

struct MatchedTimes {
  std::string key;
  std::size_t matched = 0;
  double mean_s = 0;       // mean of B - A
  double max_abs_s = 0;    // largest |B - A|
  std::size_t max_at = 0;  // which match (from 0) it was
  ToleranceBound bound;
  bool pass = true;
};

struct CompareSideSummary {
  std::size_t events = 0;    // compared (after the anchor and span)
  std::size_t left_out = 0;  // before the anchor or past the span
  WallTime anchor;
};

struct Comparison {
  CompareSideSummary a, b;
  std::vector<KindCount> counts;  // by key
  ControlOrder order;
  std::vector<IntervalComparison> intervals;  // by key
  std::vector<MatchedTimes> matched;          // by key
  std::vector<std::string> failures;          // one line per check outside its bound
  bool pass() const { return failures.empty(); }
};

// Fails only when a side has no event to anchor on (naming the side, A or
// B, and the anchor).
Result<Comparison> compare_timelines(const std::vector<TimelineEvent>& a, const std::vector<TimelineEvent>& b,
                                     const CompareOptions& options);

}  // namespace tether::pcap
