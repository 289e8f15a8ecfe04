// The inference as text, JSON and tether-sim overrides.

#include "pcap/infer_format.h"

#include <cmath>
#include <cstdio>

#include "core/table_text.h"

namespace tether::pcap {

namespace {

std::string number(double v, const char* format = "%.3f") {
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string seconds(double v) { return number(v) + " s"; }

std::string count(std::size_t n, const std::string& what) { return std::to_string(n) + " " + what + (n == 1 ? "" : "s"); }

// "3.003 s (12 samples; p10 3.001, p90 3.005, min 3.000, max 3.008)", or
// the note of a figure the capture cannot tell.
std::string figure_text(const Figure& f) {
  if (!f.value) return f.note;
  std::string out = seconds(*f.value) + " (" + std::to_string(f.samples) + (f.samples == 1 ? " sample" : " samples");
  if (f.samples > 1)
    out += "; p10 " + number(f.p10) + ", p90 " + number(f.p90) + ", min " + number(f.min) + ", max " + number(f.max);
  out += ")";
  if (!f.note.empty()) out += "; " + f.note;
  return out;
}

std::string capture_prefix(const Inference& inference, std::size_t capture) {
  bool several = false;
  for (const auto& k : inference.keepalives) several |= k.capture != 0;
  for (const auto& s : inference.smtp) several |= s.capture != 0;
  return several ? "[" + std::to_string(capture) + "] " : "";
}

void json_figure(std::string& out, const Figure& f) {
  out += "{\"value_s\":";
  out += f.value ? number(*f.value, "%.9f") : "null";
  out += ",\"samples\":" + std::to_string(f.samples);
  if (f.samples) {
    out += ",\"median_s\":" + number(f.median, "%.9f") + ",\"p10_s\":" + number(f.p10, "%.9f") +
           ",\"p90_s\":" + number(f.p90, "%.9f") + ",\"min_s\":" + number(f.min, "%.9f") +
           ",\"max_s\":" + number(f.max, "%.9f");
  }
  out += ",\"note\":";
  append_json_string(out, f.note);
  out += "}";
}

void json_key(std::string& out, const char* key, const std::string& value) {
  out += "\"";
  out += key;
  out += "\":";
  append_json_string(out, value);
}

}  // namespace

// One section per figure kind, in the order of infer.h; why over 80 lines:
// it is a flat list of sections, each a few lines.
std::string infer_text(const Inference& inference) {
  std::string out = "tether-pcap infer: " + std::to_string(inference.events) + " events over " +
                    seconds(inference.span) + "\n";
  out += "\nPersistent keepalive (silences of a pair ended by a side's keepalive)\n";
  if (inference.keepalives.empty()) out += "  cannot tell: no WireGuard pair in the capture\n";
  for (const KeepaliveFigure& k : inference.keepalives) {
    out += "  " + capture_prefix(inference, k.capture) + k.side + " (to " + k.peer + "): " + figure_text(k.interval);
    if (k.interval.value && (k.passive || k.prompt))
      out += "; left out: " + std::to_string(k.passive) + " passive, " + std::to_string(k.prompt) + " prompt";
    out += "\n";
  }
  out += "\nRekey cadence (intervals between a busy pair's handshakes)\n";
  for (const HandshakeFigure& h : inference.handshakes)
    out += "  " + capture_prefix(inference, h.capture) + h.a + " <-> " + h.b + ": " + figure_text(h.rekey) + "\n";
  out += "\nInitiation retries\n";
  if (inference.retries.empty()) out += "  cannot tell: no initiation in the capture\n";
  for (const RetryFigure& r : inference.retries) {
    out += "  " + capture_prefix(inference, r.capture) + r.initiator + " -> " + r.responder + ": " +
           count(r.initiations, "initiation") + " in " + count(r.runs, "run") + " (" +
           std::to_string(r.answered_runs) + " answered)\n";
    out += "    spacing: " + figure_text(r.spacing) + "\n";
    out += "    give-up: " + figure_text(r.give_up) + "\n";
  }
  out += "\nSMTP retries (per destination: from a failed attempt to the next)\n";
  if (inference.smtp.empty()) out += "  cannot tell: no connection to a mail server in the capture\n";
  for (const SmtpRetryFigure& s : inference.smtp) {
    out += "  " + capture_prefix(inference, s.capture) + (s.layer.empty() ? "" : "(in " + s.layer + ") ") + s.client +
           " -> " + s.destination + ": " + std::to_string(s.attempts) + " attempts, " + std::to_string(s.failed) +
           " failed, " + std::to_string(s.delivered) + " delivered, " + std::to_string(s.deliveries) +
           " deliveries\n";
    out += "    retry: " + figure_text(s.retry) + "\n";
    for (std::size_t n = 0; n < s.by_retry.size() && n < 8; ++n)
      out += "    retry " + std::to_string(n + 1) + ": " + figure_text(s.by_retry[n]) + "\n";
  }
  out += "\nNAT UDP idle timeout (probes: inbound initiations and data to the inside)\n";
  if (inference.nat.empty()) out += "  cannot tell: no WireGuard pair with a side known to be inside\n";
  for (const NatBracket& b : inference.nat) {
    out += "  " + capture_prefix(inference, b.capture) + "inside " + b.inside + " (" + b.why_inside + "): ";
    out += (b.at_least ? "at least " + seconds(*b.at_least) : std::string("no lower bound")) + ", " +
           (b.below ? "below " + seconds(*b.below) : std::string("no upper bound")) + "\n";
    if (b.at_least)
      out += "    longest silence that worked: " + b.at_least_evidence + " (" + count(b.worked.samples, "probe") + " worked)\n";
    if (b.below)
      out += "    shortest silence that failed: " + b.below_evidence + " (" + count(b.failed.samples, "probe") + " failed)\n";
    if (b.unknown) out += "    " + count(b.unknown, "probe") + " with no outcome the capture shows\n";
    if (!b.note.empty()) out += "    " + b.note + "\n";
  }
  return out;
}

// Why over 80 lines: one JSON array per figure kind, each a few lines of
// fields in the order of infer.h.
std::string infer_json(const Inference& inference) {
  std::string out = "{\"events\":" + std::to_string(inference.events) + ",\"span_s\":" +
                    number(inference.span, "%.9f") + ",\n\"keepalives\":[";
  const char* comma = "";
  for (const KeepaliveFigure& k : inference.keepalives) {
    out += comma;
    out += "\n{\"capture\":" + std::to_string(k.capture) + ",";
    json_key(out, "side", k.side);
    out += ",";
    json_key(out, "peer", k.peer);
    out += ",\"interval\":";
    json_figure(out, k.interval);
    out += ",\"passive\":" + std::to_string(k.passive) + ",\"prompt\":" + std::to_string(k.prompt) +
           ",\"longest_silence_s\":" + number(k.longest_silence, "%.9f") + "}";
    comma = ",";
  }
  out += "],\n\"handshakes\":[";
  comma = "";
  for (const HandshakeFigure& h : inference.handshakes) {
    out += comma;
    out += "\n{\"capture\":" + std::to_string(h.capture) + ",";
    json_key(out, "a", h.a);
    out += ",";
    json_key(out, "b", h.b);
    out += ",\"handshakes\":" + std::to_string(h.handshakes) + ",\"recoveries\":" + std::to_string(h.recoveries) +
           ",\"rekey\":";
    json_figure(out, h.rekey);
    out += "}";
    comma = ",";
  }
  out += "],\n\"retries\":[";
  comma = "";
  for (const RetryFigure& r : inference.retries) {
    out += comma;
    out += "\n{\"capture\":" + std::to_string(r.capture) + ",";
    json_key(out, "initiator", r.initiator);
    out += ",";
    json_key(out, "responder", r.responder);
    out += ",\"initiations\":" + std::to_string(r.initiations) + ",\"runs\":" + std::to_string(r.runs) +
           ",\"answered_runs\":" + std::to_string(r.answered_runs) + ",\"spacing\":";
    json_figure(out, r.spacing);
    out += ",\"give_up\":";
    json_figure(out, r.give_up);
    out += "}";
    comma = ",";
  }
  out += "],\n\"smtp\":[";
  comma = "";
  for (const SmtpRetryFigure& s : inference.smtp) {
    out += comma;
    out += "\n{\"capture\":" + std::to_string(s.capture) + ",";
    json_key(out, "layer", s.layer);
    out += ",";
    json_key(out, "client", s.client);
    out += ",";
    json_key(out, "destination", s.destination);
    out += ",\"attempts\":" + std::to_string(s.attempts) + ",\"failed\":" + std::to_string(s.failed) +
           ",\"delivered\":" + std::to_string(s.delivered) + ",\"deliveries\":" + std::to_string(s.deliveries) +
           ",\"retry\":";
    json_figure(out, s.retry);
    out += ",\"by_retry\":[";
    for (std::size_t n = 0; n < s.by_retry.size(); ++n) {
      if (n) out += ",";
      json_figure(out, s.by_retry[n]);
    }
    out += "]}";
    comma = ",";
  }
  out += "],\n\"nat\":[";
  comma = "";
  for (const NatBracket& b : inference.nat) {
    out += comma;
    out += "\n{\"capture\":" + std::to_string(b.capture) + ",";
    json_key(out, "inside", b.inside);
    out += ",";
    json_key(out, "why_inside", b.why_inside);
    out += ",\"at_least_s\":" + (b.at_least ? number(*b.at_least, "%.9f") : std::string("null"));
    out += ",\"below_s\":" + (b.below ? number(*b.below, "%.9f") : std::string("null")) + ",";
    json_key(out, "at_least_evidence", b.at_least_evidence);
    out += ",";
    json_key(out, "below_evidence", b.below_evidence);
    out += ",\"worked\":";
    json_figure(out, b.worked);
    out += ",\"failed\":";
    json_figure(out, b.failed);
    out += ",\"unknown\":" + std::to_string(b.unknown) + ",";
    json_key(out, "note", b.note);
    out += "}";
    comma = ",";
  }
  out += "]}\n";
  return out;
}

}  // namespace tether::pcap
