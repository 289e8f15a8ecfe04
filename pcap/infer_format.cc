// The inference as text, JSON and tether-sim overrides.

#include "pcap/infer_format.h"

#include <cmath>
#include <cstdio>
#include <optional>

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

// One JSON object, its fields appended in order; the braces close with
// the object's scope.
class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_ += "{"; }
  ~JsonObject() { out_ += "}"; }
  JsonObject(const JsonObject&) = delete;
  JsonObject& operator=(const JsonObject&) = delete;

  JsonObject& text(const char* key, const std::string& value) {
    name(key);
    append_json_string(out_, value);
    return *this;
  }
  JsonObject& count(const char* key, std::size_t value) {
    name(key);
    out_ += std::to_string(value);
    return *this;
  }
  JsonObject& seconds(const char* key, std::optional<double> value) {
    name(key);
    out_ += value ? number(*value, "%.9f") : "null";
    return *this;
  }
  // {value_s, samples, median_s, p10_s, p90_s, min_s, max_s, note}
  JsonObject& figure(const char* key, const Figure& f) {
    name(key);
    write_figure(out_, f);
    return *this;
  }
  static void write_figure(std::string& out, const Figure& f) {
    JsonObject o(out);
    o.seconds("value_s", f.value).count("samples", f.samples);
    if (f.samples)
      o.seconds("median_s", f.median).seconds("p10_s", f.p10).seconds("p90_s", f.p90).seconds("min_s", f.min)
          .seconds("max_s", f.max);
    o.text("note", f.note);
  }

 private:
  void name(const char* key) {
    out_ += first_ ? "\"" : ",\"";
    first_ = false;
    out_ += key;
    out_ += "\":";
  }
  std::string& out_;
  bool first_ = true;
};

// ,\n"key":[ one object per item, each on a line ]
template <typename Item, typename Write>
void json_array(std::string& out, const char* key, const std::vector<Item>& items, Write write) {
  out += ",\n\"";
  out += key;
  out += "\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += i ? ",\n" : "\n";
    JsonObject o(out);
    write(o, items[i]);
  }
  out += "]";
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

std::string infer_json(const Inference& inference) {
  std::string out = "{\"events\":" + std::to_string(inference.events) + ",\"span_s\":" + number(inference.span, "%.9f");
  json_array(out, "keepalives", inference.keepalives, [](JsonObject& o, const KeepaliveFigure& k) {
    o.count("capture", k.capture).text("side", k.side).text("peer", k.peer).figure("interval", k.interval);
    o.count("passive", k.passive).count("prompt", k.prompt).seconds("longest_silence_s", k.longest_silence);
  });
  json_array(out, "handshakes", inference.handshakes, [](JsonObject& o, const HandshakeFigure& h) {
    o.count("capture", h.capture).text("a", h.a).text("b", h.b).count("handshakes", h.handshakes);
    o.count("recoveries", h.recoveries).figure("rekey", h.rekey);
  });
  json_array(out, "retries", inference.retries, [](JsonObject& o, const RetryFigure& r) {
    o.count("capture", r.capture).text("initiator", r.initiator).text("responder", r.responder);
    o.count("initiations", r.initiations).count("runs", r.runs).count("answered_runs", r.answered_runs);
    o.figure("spacing", r.spacing).figure("give_up", r.give_up);
  });
  json_array(out, "smtp", inference.smtp, [&out](JsonObject& o, const SmtpRetryFigure& s) {
    o.count("capture", s.capture).text("layer", s.layer).text("client", s.client).text("destination", s.destination);
    o.count("attempts", s.attempts).count("failed", s.failed).count("delivered", s.delivered);
    o.count("deliveries", s.deliveries).figure("retry", s.retry);
    out += ",\"by_retry\":[";
    for (std::size_t n = 0; n < s.by_retry.size(); ++n) {
      if (n) out += ",";
      JsonObject::write_figure(out, s.by_retry[n]);
    }
    out += "]";
  });
  json_array(out, "nat", inference.nat, [](JsonObject& o, const NatBracket& b) {
    o.count("capture", b.capture).text("inside", b.inside).text("why_inside", b.why_inside);
    o.seconds("at_least_s", b.at_least).seconds("below_s", b.below);
    o.text("at_least_evidence", b.at_least_evidence).text("below_evidence", b.below_evidence);
    o.figure("worked", b.worked).figure("failed", b.failed).count("unknown", b.unknown).text("note", b.note);
  });
  out += "}\n";
  return out;
}

}  // namespace tether::pcap
