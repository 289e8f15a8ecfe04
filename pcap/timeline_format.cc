#include "pcap/timeline_format.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <new>

#include "core/table_text.h"

namespace tether::pcap {

const std::vector<std::string> kTimelineColumns = {
    "time_s",  "source",      "kind",      "detail",     "capture",    "link",         "packet",
    "destination", "layer",   "protocol",  "wg_type",    "wg_sender",  "wg_receiver",  "wg_counter",
    "wg_keepalive", "wg_session", "smtp_verb", "smtp_code", "tcp_flags"};

namespace {

// Numbers are written by hand at a char pointer, each returning its end:
// snprintf's format parsing was a tenth of a large capture's table.
char* write_u64(char* at, std::uint64_t v) { return std::to_chars(at, at + 20, v).ptr; }

// 0x%08x
char* write_index(char* at, std::uint32_t v) {
  static const char kHex[] = "0123456789abcdef";
  at[0] = '0';
  at[1] = 'x';
  for (int i = 9; i >= 2; --i, v >>= 4) at[i] = kHex[v & 0xf];
  return at + 10;
}

// SECONDS.NNNNNNNNN, the seconds floored (so -0.5 s is "-1.500000000").
char* write_epoch_seconds(char* at, WallTime time) {
  const std::int64_t ns = time.unix_ns();
  const std::int64_t seconds = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  std::int64_t fraction = ns - seconds * 1000000000;
  char* end = std::to_chars(at, at + 21, seconds).ptr;
  *end++ = '.';
  for (int i = 8; i >= 0; --i, fraction /= 10) end[i] = char('0' + fraction % 10);
  return end + 9;
}

// The most a number field takes: "-9223372036854775808.000000000".
constexpr std::size_t kNumberRoom = 32;

// One row's fields, in kTimelineColumns' order, each written by the format:
// a text field, a number (written by a char writer), or nothing (a field
// that does not apply).
template <typename Sink>
void fields(const TimelineEvent& e, Sink& sink) {
  sink.raw([&](char* at) { return write_epoch_seconds(at, e.at); });
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
  if (e.wg_sender) sink.quoted_raw([&](char* at) { return write_index(at, *e.wg_sender); }); else sink.none();
  if (e.wg_receiver) sink.quoted_raw([&](char* at) { return write_index(at, *e.wg_receiver); }); else sink.none();
  if (e.wg_counter) sink.number(*e.wg_counter); else sink.none();
  if (e.wg_keepalive) sink.number(*e.wg_keepalive ? 1 : 0); else sink.none();
  if (e.wg_session) sink.number(*e.wg_session); else sink.none();
  sink.text(e.smtp_verb);
  if (e.smtp_code) sink.number(std::uint64_t(*e.smtp_code)); else sink.none();
  sink.text(e.tcp_flags);
}

// The most bytes a CSV row of `e` takes, line end included: each text
// quoted with every byte doubled, each number at its longest.
std::size_t csv_row_bound(const TimelineEvent& e) {
  const std::size_t texts = e.source.size() + e.kind.size() + e.detail.size() + e.link.size() +
                            e.destination.size() + e.layer.size() + e.protocol.size() + e.smtp_verb.size() +
                            e.tcp_flags.size();
  return 2 * texts + kTimelineColumns.size() * (kNumberRoom + 3) + 1;
}

// A CSV row written at a pointer with room for csv_row_bound() bytes: no
// capacity check per field (std::string's appends were a fifth of the time).
struct CsvRow {
  char* at;
  bool first = true;
  void separator() {
    if (!first) *at++ = ',';
    first = false;
  }
  template <typename F> void raw(F f) { separator(); at = f(at); }
  template <typename F> void quoted_raw(F f) { separator(); at = f(at); }
  void text(const std::string& s) { separator(); at = write_csv_field(at, s); }
  void number(std::uint64_t v) { separator(); at = write_u64(at, v); }
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
  template <typename F> void put(F f) {
    char buf[kNumberRoom];
    out.append(buf, std::size_t(f(buf) - buf));
  }
  template <typename F> void raw(F f) { key(); put(f); }
  template <typename F> void quoted_raw(F f) { key(); out += '"'; put(f); out += '"'; }
  // Empty text is JSON null, as an absent number is: "does not apply".
  void text(const std::string& s) {
    key();
    if (s.empty()) out += "null"; else append_json_string(out, s);
  }
  void number(std::uint64_t v) { key(); put([&](char* at) { return write_u64(at, v); }); }
  void none() { key(); out += "null"; }
};

// A CSV row (line end included) at `at`, which has csv_row_bound() bytes of
// room; returns the end.
char* write_csv_row(char* at, const TimelineEvent& e) {
  CsvRow row{at};
  fields(e, row);
  *row.at++ = '\n';
  return row.at;
}

void append_header(std::string& out, TimelineFormat format) {
  if (format == TimelineFormat::json) {
    out += '[';
    return;
  }
  for (std::size_t i = 0; i < kTimelineColumns.size(); ++i) {
    if (i) out += ',';
    out += kTimelineColumns[i];
  }
  out += '\n';
}

// One event's row: CSV with its line end; JSON's object alone (the
// separators depend on its place: append_separator).
void append_row(std::string& out, const TimelineEvent& e, TimelineFormat format) {
  if (format == TimelineFormat::csv) {
    const std::size_t at = out.size();
    out.resize(at + csv_row_bound(e));
    out.resize(std::size_t(write_csv_row(&out[at], e) - out.data()));
  } else {
    JsonRow row{out};
    fields(e, row);
    out += '}';
  }
}

void append_separator(std::string& out, TimelineFormat format, bool first) {
  if (format == TimelineFormat::json) out += first ? "\n" : ",\n";
}

void append_footer(std::string& out, TimelineFormat format, bool empty) {
  if (format == TimelineFormat::json) out += empty ? "]\n" : "\n]\n";
}

// Writes `buffer` out once it holds 64 KiB (or at the end), then empties it.
struct BufferedOutput {
  std::FILE* out;
  std::string buffer;
  bool ok = true;
  void flush(bool last) {
    if (!last && buffer.size() < (1u << 16)) return;
    if (ok && std::fwrite(buffer.data(), 1, buffer.size(), out) != buffer.size()) ok = false;
    buffer.clear();
  }
};

template <typename Flush>
void render(const std::vector<TimelineEvent>& events, TimelineFormat format, std::string& buffer, Flush flush) {
  append_header(buffer, format);
  for (std::size_t i = 0; i < events.size(); ++i) {
    append_separator(buffer, format, i == 0);
    append_row(buffer, events[i], format);
    flush(false);
  }
  append_footer(buffer, format, events.empty());
  flush(true);
}

}  // namespace

std::string format_epoch_seconds(WallTime at) {
  char buf[kNumberRoom];
  return std::string(buf, write_epoch_seconds(buf, at));
}

bool write_timeline(std::FILE* out, const std::vector<TimelineEvent>& events, TimelineFormat format) {
  BufferedOutput output{out, {}};
  render(events, format, output.buffer, [&](bool last) { output.flush(last); });
  return output.ok && std::fflush(out) == 0;
}

std::string timeline_text(const std::vector<TimelineEvent>& events, TimelineFormat format) {
  std::string buffer;
  render(events, format, buffer, [](bool) {});
  return buffer;
}

// Plain pages: transparent huge pages (madvise) cost twice the system time
// here (the kernel zeroes and compacts 2 MiB at a time) for the same wall time.
TimelineTable::Block::Block(std::size_t size) : data(static_cast<char*>(std::malloc(size))), capacity(size) {
  if (!data) throw std::bad_alloc();
}

char* TimelineTable::room(std::size_t bytes) {
  if (blocks_.empty() || blocks_.back().capacity - blocks_.back().size < bytes)
    blocks_.emplace_back(std::max(block_size_, bytes));
  Block& block = blocks_.back();
  return block.data.get() + block.size;
}

void TimelineTable::add(const TimelineEvent& event) {
  std::size_t length;
  if (format_ == TimelineFormat::csv) {
    char* at = room(csv_row_bound(event));
    length = std::size_t(write_csv_row(at, event) - at);
  } else {
    scratch_.clear();
    append_row(scratch_, event, format_);
    length = scratch_.size();
    std::memcpy(room(length), scratch_.data(), length);
  }
  Block& block = blocks_.back();
  const std::int64_t at = event.at.unix_ns();
  if (!keys_.empty() && at < keys_.back().at_ns) in_order_ = false;
  keys_.push_back(Key{at, std::uint32_t(blocks_.size() - 1), std::uint32_t(block.size), std::uint32_t(length)});
  block.size += length;
}

void TimelineTable::sort_keys() {
  // A capture read in time order gives rows in order but for a few found
  // late (a SYN never answered is reported at the end, with its own time):
  // those are taken out, sorted, and merged back, which is stable as
  // sort_timeline is (a late row follows the in-order rows of its time,
  // found before it, and precedes none found after it, which are later).
  auto earlier = [](const Key& a, const Key& b) { return a.at_ns < b.at_ns; };
  std::vector<Key> in_order, late;
  in_order.reserve(keys_.size());
  for (const Key& k : keys_) (in_order.empty() || k.at_ns >= in_order.back().at_ns ? in_order : late).push_back(k);
  std::stable_sort(late.begin(), late.end(), earlier);
  keys_.clear();
  std::merge(in_order.begin(), in_order.end(), late.begin(), late.end(), std::back_inserter(keys_), earlier);
  in_order_ = true;
}

bool TimelineTable::write(std::FILE* out) {
  BufferedOutput output{out, {}};
  append_header(output.buffer, format_);
  if (!in_order_) sort_keys();
  if (format_ == TimelineFormat::csv) {
    // Rows next to each other in a block go out in one write: in order,
    // the blocks go out whole.
    output.flush(true);
    for (std::size_t i = 0; i < keys_.size() && output.ok;) {
      const Key& first = keys_[i];
      std::size_t end = first.offset + first.length;
      for (++i; i < keys_.size() && keys_[i].block == first.block && keys_[i].offset == end; ++i)
        end += keys_[i].length;
      const std::size_t length = end - first.offset;
      if (std::fwrite(blocks_[first.block].data.get() + first.offset, 1, length, out) != length) output.ok = false;
    }
  } else {
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      append_separator(output.buffer, format_, i == 0);
      output.buffer.append(blocks_[keys_[i].block].data.get() + keys_[i].offset, keys_[i].length);
      output.flush(false);
    }
  }
  append_footer(output.buffer, format_, keys_.empty());
  output.flush(true);
  return output.ok && std::fflush(out) == 0;
}

}  // namespace tether::pcap
