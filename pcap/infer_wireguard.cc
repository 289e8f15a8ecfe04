// WireGuard's timers read off a capture: each side's persistent keepalive,
// the rekey cadence, and the initiation retries and their give-up.
//
// Keepalives. A transport message with no payload is sent for three
// reasons (Linux drivers/net/wireguard/timers.c; wireguard-go
// device/timers.go; impl/tunnel's timers follow them):
//   - persistent keepalive: its timer is re-armed by every authenticated
//     packet sent or received (wg_timers_any_authenticated_packet_traversal),
//     so it fires after exactly that much silence of the pair, whichever
//     side spoke last: the silence that a keepalive from a side ends is a
//     sample of that side's interval;
//   - passive keepalive: KEEPALIVE_TIMEOUT (10 s) after data was received,
//     if nothing was sent since (wg_timers_data_received, cancelled by
//     wg_timers_any_authenticated_packet_sent; one more 10 s later when
//     data came while it was pending): is_passive() tells these, which are
//     left out;
//   - the initiator's confirmation right after a handshake (and OpenBSD's
//     answer to it): a keepalive within 0.5 s of the previous packet is no
//     timer's and is left out.
// A persistent keepalive of exactly 10 s after the peer's data cannot be
// told from a passive one; the silences that do not follow data still tell it.

#include <algorithm>
#include <cstdio>
#include <map>

#include "pcap/infer.h"
#include "pcap/infer_pairs.h"

namespace tether::pcap {

namespace {

constexpr double kPrompt = 0.5;
constexpr double kPassiveSlack = 1.0;  // timers fire late by a jiffy or a scheduler's delay, never by a second

bool on_the_wire_wg(const TimelineEvent& e) { return e.layer.empty() && e.protocol == "wg"; }

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

// The time of each capture's last event: how far a capture is known to go.
std::map<std::size_t, WallTime> capture_ends(const Timeline& timeline) {
  std::map<std::size_t, WallTime> ends;
  for (const TimelineEvent& e : timeline.events) ends[e.capture] = std::max(ends[e.capture], e.at);
  return ends;
}

// Whether the keepalive at pair.events[i], from `side`, is a passive one:
// KEEPALIVE_TIMEOUT after the peer's data, the side having sent nothing
// since (its timer is cancelled by any packet sent, not by packets
// received: the silence before it may be short); or KEEPALIVE_TIMEOUT after
// a passive keepalive of its own when the peer's data came while that one
// was pending (timer_need_another_keepalive; the data that armed it may
// have come in a burst, so any data in its window counts). A packet the side sent within
// kPrompt after the data may have crossed it on the way (the capture sees
// one end's order) and does not count as sent since.
bool is_passive(const WireGuardPair& pair, std::size_t i, const std::string& side, const std::vector<bool>& passive) {
  const TimelineEvent& keepalive = *pair.events[i];
  const TimelineEvent* sent = nullptr;  // the side's previous packet
  std::size_t sent_at = 0;
  for (std::size_t j = i; j-- > 0;) {
    const TimelineEvent& e = *pair.events[j];
    double before = seconds_between(e, keepalive);
    if (before > 2 * (kKeepaliveTimeout + kPassiveSlack)) return false;
    if (e.source == side) {
      if (!sent) sent = &e, sent_at = j;
      continue;
    }
    if (e.kind != "data") continue;
    bool answered = sent && seconds_between(e, *sent) > kPrompt;
    if (!answered) return before >= kKeepaliveTimeout - 0.1 && before < kKeepaliveTimeout + kPassiveSlack;
    // The side sent since: only the chained case remains.
    double chain = seconds_between(*sent, keepalive);
    return passive[sent_at] && chain >= kKeepaliveTimeout - 0.1 && chain < kKeepaliveTimeout + kPassiveSlack &&
           seconds_between(e, *sent) < kKeepaliveTimeout + kPassiveSlack;
  }
  return false;
}

KeepaliveFigure keepalives_of(const WireGuardPair& pair, const std::string& side, const std::string& peer,
                              WallTime capture_end) {
  KeepaliveFigure k;
  k.capture = pair.capture;
  k.side = side;
  k.peer = peer;
  std::vector<double> samples;
  std::vector<bool> passive(pair.events.size(), false);
  for (std::size_t i = 1; i < pair.events.size(); ++i) {
    const TimelineEvent& e = *pair.events[i];
    const TimelineEvent& previous = *pair.events[i - 1];
    double silence = seconds_between(previous, e);
    k.longest_silence = std::max(k.longest_silence, silence);
    if (e.kind != "keepalive" || e.source != side) continue;
    if (is_passive(pair, i, side, passive)) {  // first: a passive one may come right after the peer's
      passive[i] = true;
      ++k.passive;
    } else if (silence < kPrompt) {
      ++k.prompt;
    } else {
      samples.push_back(silence);
    }
  }
  if (!pair.events.empty())
    k.longest_silence = std::max(k.longest_silence, (capture_end - pair.events.back()->at).seconds_f());
  std::string why = "cannot tell: no keepalive from " + side + " ended a silence; the pair's longest silence is " +
                    seconds_text(k.longest_silence) + ", so persistent keepalive is off or longer than that";
  if (k.passive) why += " (" + std::to_string(k.passive) + " passive keepalives, 10 s after the peer's data, left out)";
  k.interval = figure_of(std::move(samples), why);
  return k;
}

// Whether the initiation at pair.events[i] is the one Linux sends when data
// it sent got nothing back for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s;
// wg_timers_data_sent arms it, any authenticated packet received disarms
// it, wg_expired_new_handshake fires it): the initiator's previous packet
// was data, 15 s (plus up to a third of a second of jitter, and a timer's
// lateness) before. What the peer sent in between is no evidence either
// way: the capture may see packets the initiator never got (a NAT that
// dropped them is why it is recovering).
bool after_unanswered_data(const WireGuardPair& pair, std::size_t i) {
  const TimelineEvent& initiation = *pair.events[i];
  for (std::size_t j = i; j-- > 0;) {
    const TimelineEvent& e = *pair.events[j];
    if (e.source != initiation.source) continue;
    double since = seconds_between(e, initiation);
    return e.kind == "data" && since >= kKeepaliveTimeout + kRekeyTimeout - 0.1 &&
           since <= kKeepaliveTimeout + kRekeyTimeout + 1.0;
  }
  return false;
}

// The intervals between handshakes that were rekeys: not after a silence
// over kBusySilence (a new session), and not the answer to data that went
// unanswered (a recovery).
HandshakeFigure handshakes_of(const WireGuardPair& pair) {
  HandshakeFigure h;
  h.capture = pair.capture;
  h.a = pair.a;
  h.b = pair.b;
  std::vector<double> intervals;
  const TimelineEvent* last_handshake = nullptr;
  double longest_silence = 0;
  bool recovery = false;  // the latest initiation was after_unanswered_data
  for (std::size_t i = 0; i < pair.events.size(); ++i) {
    const TimelineEvent& e = *pair.events[i];
    if (i > 0) longest_silence = std::max(longest_silence, seconds_between(*pair.events[i - 1], e));
    if (e.kind == "initiation") recovery = after_unanswered_data(pair, i);
    if (e.kind != "response") continue;
    ++h.handshakes;
    if (recovery) ++h.recoveries;
    else if (last_handshake && longest_silence <= kBusySilence)
      intervals.push_back(seconds_between(*last_handshake, e));
    last_handshake = &e;
    longest_silence = 0;
  }
  std::string why = h.handshakes < 2 ? "cannot tell: " + std::to_string(h.handshakes) + " handshake(s) of the pair"
                                     : "cannot tell: no two handshakes of the pair a rekey apart (each after a "
                                       "silence over 60 s, a new session, or after data went unanswered)";
  h.rekey = figure_of(std::move(intervals), why);
  if (h.rekey.value && h.recoveries)
    h.rekey.note = std::to_string(h.recoveries) + " handshakes after unanswered data left out";
  return h;
}

// Whether `times` (sorted) holds one in (after, after + window].
bool sends_within(const std::vector<WallTime>& times, WallTime after, double window) {
  auto next = std::upper_bound(times.begin(), times.end(), after);
  return next != times.end() && (*next - after).seconds_f() <= window;
}

// Initiations from `initiator` in runs (see RetryFigure). A run that ends
// with the initiator sending anything else within kRunBreak (to the
// responder: a session it got some other way; to another endpoint: the
// responder roamed, as a home does behind a NAT that gave it a new port) is
// no give-up. Data waiting for a handshake restarts the attempts (Linux
// wg_packet_send_queued_handshake_initiation resets the count), which the
// wire does not show: a run longer than REKEY_ATTEMPT_TIME is that.
RetryFigure retries_of(const WireGuardPair& pair, const std::string& initiator, const std::string& responder,
                       WallTime capture_end, const std::vector<WallTime>& sent_by_initiator) {
  RetryFigure r;
  r.capture = pair.capture;
  r.initiator = initiator;
  r.responder = responder;
  std::vector<double> spacing, give_up;
  const TimelineEvent* first = nullptr;
  const TimelineEvent* last = nullptr;
  std::size_t count = 0;
  auto close_run = [&](bool answered) {
    if (!first) return;
    ++r.runs;
    if (answered) {
      ++r.answered_runs;
    } else if (count >= 2 && (capture_end - last->at).seconds_f() >= kRunBreak &&
               !sends_within(sent_by_initiator, last->at, kRunBreak)) {
      give_up.push_back(seconds_between(*first, *last));
    }
    first = last = nullptr;
    count = 0;
  };
  for (const TimelineEvent* e : pair.events) {
    if (e->kind == "initiation" && e->source == initiator) {
      ++r.initiations;
      if (first && seconds_between(*last, *e) <= kRunBreak) {
        spacing.push_back(seconds_between(*last, *e));
      } else {
        close_run(false);
        first = e;
      }
      last = e;
      ++count;
    } else if (e->kind == "response" && e->source == responder && first) {
      close_run(true);
    }
  }
  close_run(false);
  r.spacing = figure_of(std::move(spacing), "cannot tell: no initiation from " + initiator + " was sent again");
  const bool restarted = std::any_of(give_up.begin(), give_up.end(), [](double s) { return s > kRekeyAttemptTime + kRekeyTimeout; });
  r.give_up = figure_of(std::move(give_up), "cannot tell: no run of unanswered initiations from " + initiator +
                                                " ended (15 s without another) within the capture");
  if (restarted)
    r.give_up.note = "runs longer than REKEY_ATTEMPT_TIME (90 s): packets waiting for a handshake restart the "
                     "attempts, so a run ends 90 s after the last of them";
  return r;
}

}  // namespace

std::vector<WireGuardPair> wireguard_pairs(const Timeline& timeline) {
  std::vector<WireGuardPair> pairs;
  std::map<std::tuple<std::size_t, std::string, std::string>, std::size_t> index;
  for (const TimelineEvent& e : timeline.events) {
    if (!on_the_wire_wg(e)) continue;
    const std::string& a = std::min(e.source, e.destination);
    const std::string& b = std::max(e.source, e.destination);
    auto [at, added] = index.emplace(std::make_tuple(e.capture, a, b), pairs.size());
    if (added) pairs.push_back(WireGuardPair{e.capture, a, b, {}});
    pairs[at->second].events.push_back(&e);
  }
  return pairs;
}

std::string packet_reference(const Timeline& timeline, const TimelineEvent& event) {
  char buf[64];
  double since = timeline.events.empty() ? 0 : (event.at - timeline.events.front().at).seconds_f();
  std::snprintf(buf, sizeof buf, "packet %llu (%.3f s)", static_cast<unsigned long long>(event.packet_number), since);
  return buf;
}

void infer_wireguard(const Timeline& timeline, Inference& out) {
  auto ends = capture_ends(timeline);
  std::map<std::pair<std::size_t, std::string>, std::vector<WallTime>> sent;  // capture, source: on the wire
  for (const TimelineEvent& e : timeline.events)
    if (on_the_wire_wg(e)) sent[{e.capture, e.source}].push_back(e.at);
  for (const WireGuardPair& pair : wireguard_pairs(timeline)) {
    WallTime end = ends[pair.capture];
    out.keepalives.push_back(keepalives_of(pair, pair.a, pair.b, end));
    out.keepalives.push_back(keepalives_of(pair, pair.b, pair.a, end));
    out.handshakes.push_back(handshakes_of(pair));
    for (const auto& [from, to] : {std::make_pair(pair.a, pair.b), std::make_pair(pair.b, pair.a)}) {
      bool initiated = std::any_of(pair.events.begin(), pair.events.end(), [&, &from = from](const TimelineEvent* e) {
        return e->kind == "initiation" && e->source == from;
      });
      if (initiated) out.retries.push_back(retries_of(pair, from, to, end, sent[{pair.capture, from}]));
    }
  }
}

}  // namespace tether::pcap
