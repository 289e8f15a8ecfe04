#include "pcap/timeline_format.h"

#include <cinttypes>

#include "core/table_text.h"

namespace tether::pcap {

const std::vector<std::string> kTimelineColumns = {
    "time_s",  "source",      "kind",      "detail",     "capture",    "link",         "packet",
    "destination", "layer",   "protocol",  "wg_type",    "wg_sender",  "wg_receiver",  "wg_counter",
    "wg_keepalive", "wg_session", "smtp_verb", "smtp_code", "tcp_flags"};

namespace {

void append_u64(std::string& out, std::uint64_t v) {
  char buf[24];
  const int n = std::snprintf(buf, sizeof buf, "%" PRIu64, v);
  out.append(buf, std::size_t(n));
}

void append_index(std::string& out, std::uint32_t v) {
  char buf[16];
  const int n = std::snprintf(buf, sizeof buf, "0x%08" PRIx32, v);
  out.append(buf, std::size_t(n));
}

void append_epoch_seconds(std::string& out, WallTime at) {
  const std::int64_t ns = at.unix_ns();
  const std::int64_t seconds = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  const std::int64_t fraction = ns - seconds * 1000000000;
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%" PRId64 ".%09" PRId64, seconds, fraction);
  out.append(buf, std::size_t(n));
}

// One row's fields, in kTimelineColumns' order, each written by the format:
// a text field, a number, or nothing (a field that does not apply).
template <typename Sink>
void fields(const TimelineEvent& e, Sink& sink) {
  sink.raw([&](std::string& o) { append_epoch_seconds(o, e.at); });
  sink.text(e.source);
  sink.text(e.kind);
  sink.text(e.detail);
  sink.number(e.capture);
  sink.text(e.link);
  sink.number(e.packet_number);
  sink.text(e.destination);
  sink.text(e.layer);
  sink.text(e.protocol);
  if (e.wg_type) sink.number(std::uint64_t(*e.wg_type)); else sink.none();
  if (e.wg_sender) sink.quoted_raw([&](std::string& o) { append_index(o, *e.wg_sender); }); else sink.none();
  if (e.wg_receiver) sink.quoted_raw([&](std::string& o) { append_index(o, *e.wg_receiver); }); else sink.none();
  if (e.wg_counter) sink.number(*e.wg_counter); else sink.none();
  if (e.wg_keepalive) sink.number(*e.wg_keepalive ? 1 : 0); else sink.none();
  if (e.wg_session) sink.number(*e.wg_session); else sink.none();
  sink.text(e.smtp_verb);
  if (e.smtp_code) sink.number(std::uint64_t(*e.smtp_code)); else sink.none();
  sink.text(e.tcp_flags);
}

struct CsvRow {
  std::string& out;
  bool first = true;
  void separator() {
    if (!first) out += ',';
    first = false;
  }
  template <typename F> void raw(F f) { separator(); f(out); }
  template <typename F> void quoted_raw(F f) { separator(); f(out); }
  void text(const std::string& s) { separator(); append_csv_field(out, s); }
  void number(std::uint64_t v) { separator(); append_u64(out, v); }
  void none() { separator(); }
};

struct JsonRow {
  std::string& out;
  std::size_t column = 0;
  void key() {
    out += column == 0 ? "{" : ",";
    append_json_string(out, kTimelineColumns[column++]);
    out += ':';
  }
  template <typename F> void raw(F f) { key(); f(out); }
  template <typename F> void quoted_raw(F f) { key(); out += '"'; f(out); out += '"'; }
  // Empty text is JSON null, as an absent number is: "does not apply".
  void text(const std::string& s) {
    key();
    if (s.empty()) out += "null"; else append_json_string(out, s);
  }
  void number(std::uint64_t v) { key(); append_u64(out, v); }
  void none() { key(); out += "null"; }
};

template <typename Flush>
void render(const std::vector<TimelineEvent>& events, TimelineFormat format, std::string& buffer, Flush flush) {
  if (format == TimelineFormat::csv) {
    for (std::size_t i = 0; i < kTimelineColumns.size(); ++i) {
      if (i) buffer += ',';
      buffer += kTimelineColumns[i];
    }
    buffer += '\n';
    for (const TimelineEvent& e : events) {
      CsvRow row{buffer};
      fields(e, row);
      buffer += '\n';
      flush(false);
    }
  } else {
    buffer += '[';
    for (std::size_t i = 0; i < events.size(); ++i) {
      buffer += i ? ",\n" : "\n";
      JsonRow row{buffer};
      fields(events[i], row);
      buffer += '}';
      flush(false);
    }
    buffer += events.empty() ? "]\n" : "\n]\n";
  }
  flush(true);
}

}  // namespace

std::string format_epoch_seconds(WallTime at) {
  std::string out;
  append_epoch_seconds(out, at);
  return out;
}

bool write_timeline(std::FILE* out, const std::vector<TimelineEvent>& events, TimelineFormat format) {
  std::string buffer;
  bool ok = true;
  render(events, format, buffer, [&](bool last) {
    if (!last && buffer.size() < (1u << 16)) return;
    if (ok && std::fwrite(buffer.data(), 1, buffer.size(), out) != buffer.size()) ok = false;
    buffer.clear();
  });
  return ok && std::fflush(out) == 0;
}

std::string timeline_text(const std::vector<TimelineEvent>& events, TimelineFormat format) {
  std::string buffer;
  render(events, format, buffer, [](bool) {});
  return buffer;
}

}  // namespace tether::pcap
