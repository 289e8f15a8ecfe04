// tether._tether.pcap: the capture library's timeline and compare, as
// `tether-pcap timeline` and `tether-pcap compare` read their inputs
// (pcap/tool/capture_options.cc's read_inputs: captures, text traces and
// result directories, each directory's key logs merged after --keylog).
//
// The functions here never raise for what the library reports as an error:
// they return {"ok": False, "code": ..., "message": ...} and
// python/tether/pcap.py raises the Python exception that fits (a missing
// file is FileNotFoundError, a capture that cannot be read a CaptureError
// naming the file and packet). Problems inside a readable capture (a cut
// record, garbage on a WireGuard port) are returned as a list, as the
// library keeps them, for the wrapper to warn about.
//
// The timeline comes back as columns, not rows: numbers in NumPy arrays
// (with a mask where a field does not apply), the few distinct values of
// kinds, links and protocols as category codes, so that a capture of a
// million packets becomes a DataFrame without a Python object per field.

#include "python/bindings/pcap_bindings.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstdio>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "pcap/compare.h"
#include "pcap/compare_report.h"
#include "pcap/result_directory.h"
#include "pcap/timeline.h"
#include "pcap/timeline_format.h"

namespace py = pybind11;

namespace tether::python {
namespace {

// Details quote packet bytes: text that is not UTF-8 is replaced, as the
// JSON report replaces it, rather than raising UnicodeDecodeError.
py::object text_or_none(const std::string& s) {
  if (s.empty()) return py::none();
  PyObject* decoded = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!decoded) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(decoded);
}

py::str text(const std::string& s) {
  PyObject* decoded = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!decoded) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(decoded);
}

py::list text_list(const std::vector<std::string>& items) {
  py::list out;
  for (const std::string& s : items) out.append(text(s));
  return out;
}

// `input`: an input could not be read (else: an option is wrong).
py::dict failure(const Error& error, bool input, const std::string& prefix = "") {
  py::dict out;
  out["ok"] = false;
  out["input"] = input;
  out["code"] = to_string(error.code);
  out["message"] = text(prefix + error.message);
  return out;
}

// A column of few distinct strings as pandas.Categorical.from_codes takes
// it: codes (-1 where the field is empty: does not apply) and categories.
class CategoryColumn {
 public:
  explicit CategoryColumn(std::size_t rows) : codes_(static_cast<py::ssize_t>(rows)) {}
  void set(std::size_t row, const std::string& value) {
    std::int32_t code = -1;
    if (!value.empty()) {
      auto [it, added] = index_.try_emplace(value, static_cast<std::int32_t>(categories_.size()));
      if (added) categories_.push_back(value);
      code = it->second;
    }
    codes_.mutable_data()[row] = code;
  }
  py::dict finish() {
    py::dict out;
    out["codes"] = codes_;
    out["categories"] = text_list(categories_);
    return out;
  }

 private:
  py::array_t<std::int32_t> codes_;
  std::unordered_map<std::string, std::int32_t> index_;
  std::vector<std::string> categories_;
};

// A column of optional numbers: values and a mask (true: missing), as
// pandas' nullable arrays (IntegerArray, BooleanArray) take them.
template <typename T>
class MaskedColumn {
 public:
  explicit MaskedColumn(std::size_t rows)
      : values_(static_cast<py::ssize_t>(rows)), mask_(static_cast<py::ssize_t>(rows)) {}
  template <typename U>
  void set(std::size_t row, const std::optional<U>& value) {
    values_.mutable_data()[row] = value ? static_cast<T>(*value) : T{};
    mask_.mutable_data()[row] = !value.has_value();
  }
  py::dict finish() {
    py::dict out;
    out["values"] = values_;
    out["mask"] = mask_;
    return out;
  }

 private:
  py::array_t<T> values_;
  py::array_t<bool> mask_;
};

// Every column of the timeline, named as tether-pcap timeline's
// (timeline_format.h), time_s as integer nanoseconds since the Unix epoch.
py::dict timeline_columns(const std::vector<pcap::TimelineEvent>& events) {
  const std::size_t rows = events.size();
  py::array_t<std::int64_t> time_ns(static_cast<py::ssize_t>(rows)), capture(static_cast<py::ssize_t>(rows)),
      packet(static_cast<py::ssize_t>(rows));
  py::list source(rows), destination(rows), detail(rows);
  CategoryColumn kind(rows), link(rows), layer(rows), protocol(rows), smtp_verb(rows), tcp_flags(rows);
  MaskedColumn<std::int64_t> wg_type(rows), wg_sender(rows), wg_receiver(rows), wg_session(rows), smtp_code(rows);
  MaskedColumn<std::uint64_t> wg_counter(rows);
  MaskedColumn<bool> wg_keepalive(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const pcap::TimelineEvent& e = events[i];
    time_ns.mutable_data()[i] = e.at.unix_ns();
    capture.mutable_data()[i] = static_cast<std::int64_t>(e.capture);
    packet.mutable_data()[i] = static_cast<std::int64_t>(e.packet_number);
    source[i] = text_or_none(e.source);
    destination[i] = text_or_none(e.destination);
    detail[i] = text_or_none(e.detail);
    kind.set(i, e.kind);
    link.set(i, e.link);
    layer.set(i, e.layer);
    protocol.set(i, e.protocol);
    smtp_verb.set(i, e.smtp_verb);
    tcp_flags.set(i, e.tcp_flags);
    wg_type.set(i, e.wg_type);
    wg_sender.set(i, e.wg_sender);
    wg_receiver.set(i, e.wg_receiver);
    wg_counter.set(i, e.wg_counter);
    wg_keepalive.set(i, e.wg_keepalive);
    wg_session.set(i, e.wg_session);
    smtp_code.set(i, e.smtp_code);
  }
  py::dict out;
  out["time_ns"] = time_ns;
  out["source"] = source;
  out["kind"] = kind.finish();
  out["detail"] = detail;
  out["capture"] = capture;
  out["link"] = link.finish();
  out["packet"] = packet;
  out["destination"] = destination;
  out["layer"] = layer.finish();
  out["protocol"] = protocol.finish();
  out["wg_type"] = wg_type.finish();
  out["wg_sender"] = wg_sender.finish();
  out["wg_receiver"] = wg_receiver.finish();
  out["wg_counter"] = wg_counter.finish();
  out["wg_keepalive"] = wg_keepalive.finish();
  out["wg_session"] = wg_session.finish();
  out["smtp_verb"] = smtp_verb.finish();
  out["smtp_code"] = smtp_code.finish();
  out["tcp_flags"] = tcp_flags.finish();
  return out;
}

py::dict counts_dict(const pcap::TimelineCounts& c) {
  py::dict out;
  out["records"] = c.records;
  out["datagrams"] = c.datagrams;
  out["segments"] = c.segments;
  out["icmp"] = c.icmp;
  out["wg_messages"] = c.wg_messages;
  out["wg_decrypted"] = c.wg_decrypted;
  out["wg_decryption_failed"] = c.wg_decryption_failed;
  out["inner_packets"] = c.inner_packets;
  return out;
}

// --date YYYY-MM-DD, checked as tether-pcap checks it (capture_options.cc):
// WallTime's 64-bit nanoseconds reach from 1677 to 2262.
Result<CivilDate> parse_date(const std::string& value) {
  unsigned year = 0, month = 0, day = 0;
  char end = 0;
  if (std::sscanf(value.c_str(), "%4u-%2u-%2u%c", &year, &month, &day, &end) != 3 || year < 1678 || year > 2261 ||
      month < 1 || month > 12 || day < 1 || day > 31)
    return make_error(ErrorCode::invalid_argument, "date " + value + ": not a date YYYY-MM-DD");
  return CivilDate{year, month, day};
}

// What every reading call takes: the options of tether-pcap's commands
// (pcap/tool/commands.h, CaptureOptions).
struct ReadOptions {
  std::vector<std::string> keylogs;
  std::vector<std::uint16_t> wg_ports;
  bool heuristic = true;
  std::string date;
  std::vector<std::string> links;
};

Result<pcap::TimelineOptions> timeline_options(const ReadOptions& read) {
  pcap::TimelineOptions options;
  options.wireguard.ports = read.wg_ports;
  options.wireguard.heuristic = read.heuristic;
  if (!read.date.empty()) {
    auto date = parse_date(read.date);
    if (!date.ok()) return date.error();
    options.text_date = *date;
  }
  return options;
}

// The timeline of `inputs`; the GIL is released while the files are read.
Result<pcap::Timeline> read_timeline(const std::vector<std::string>& inputs, const ReadOptions& read,
                                     const pcap::TimelineOptions& options) {
  py::gil_scoped_release unlocked;
  return pcap::build_timeline_of_inputs(inputs, read.keylogs, read.links, options);
}

py::list problem_list(const pcap::Timeline& timeline) {
  py::list out = text_list(timeline.problems);
  if (timeline.problems_dropped)
    out.append(py::str("... and " + std::to_string(timeline.problems_dropped) + " more problems not shown"));
  return out;
}

py::dict timeline(const std::vector<std::string>& inputs, const ReadOptions& read) {
  auto options = timeline_options(read);
  if (!options.ok()) return failure(options.error(), false);
  auto timeline = read_timeline(inputs, read, *options);
  if (!timeline.ok()) return failure(timeline.error(), true);
  py::dict out;
  out["ok"] = true;
  out["columns"] = timeline_columns(timeline->events);
  out["problems"] = problem_list(*timeline);
  out["counts"] = counts_dict(timeline->counts);
  return out;
}

// The checks of `tether-pcap compare` (compare_command.cc's
// compare_options): every_kind is --tolerance-MEASURE VALUE, applied before
// the rules; errors name the option as the command does.
Result<pcap::CompareOptions> compare_options(const std::vector<std::pair<std::string, std::string>>& every_kind,
                                             const std::vector<std::string>& rules, const std::string& anchor,
                                             const std::string& span) {
  pcap::CompareOptions options;
  for (const auto& [measure, value] : every_kind)
    if (auto added = options.tolerances.add(measure + "=" + value); !added.ok()) {
      const std::string& why = added.error().message;
      const auto colon = why.find(": ");
      return make_error(ErrorCode::invalid_argument, "tolerance_" + measure + " " + value + ": " +
                                                         (colon == std::string::npos ? why : why.substr(colon + 2)));
    }
  for (const std::string& rule : rules)
    if (auto added = options.tolerances.add(rule); !added.ok()) return added.error();
  options.anchor = anchor;
  if (!span.empty()) {
    auto parsed = parse_duration(span);
    if (!parsed.ok() || parsed->ns() <= 0)
      return make_error(ErrorCode::invalid_argument, "span '" + span + "': expected a positive duration such as 90s");
    options.span = *parsed;
  }
  return options;
}

py::dict compare(const std::vector<std::string>& a, const std::vector<std::string>& b, const ReadOptions& read,
                 const std::vector<std::pair<std::string, std::string>>& every_kind,
                 const std::vector<std::string>& rules, const std::string& anchor, const std::string& span,
                 const std::string& a_name, const std::string& b_name) {
  auto options = compare_options(every_kind, rules, anchor, span);
  if (!options.ok()) return failure(options.error(), false);
  auto timeline = timeline_options(read);
  if (!timeline.ok()) return failure(timeline.error(), false);
  auto a_timeline = read_timeline(a, read, *timeline);
  if (!a_timeline.ok()) return failure(a_timeline.error(), true, "A: ");
  auto b_timeline = read_timeline(b, read, *timeline);
  if (!b_timeline.ok()) return failure(b_timeline.error(), true, "B: ");
  std::optional<Result<pcap::Comparison>> comparison;
  std::string json, report;
  {
    py::gil_scoped_release unlocked;
    comparison.emplace(pcap::compare_timelines(a_timeline->events, b_timeline->events, *options));
    if (comparison->ok()) {
      const pcap::CompareNames names{a_name, b_name};
      json = pcap::comparison_json(**comparison, names);
      report = pcap::comparison_text(**comparison, names);
    }
  }
  if (!comparison->ok()) return failure(comparison->error(), false);
  py::dict out;
  out["ok"] = true;
  out["pass"] = (*comparison)->pass();
  out["json"] = text(json);
  out["report"] = text(report);
  out["problems_a"] = problem_list(*a_timeline);
  out["problems_b"] = problem_list(*b_timeline);
  return out;
}

ReadOptions read_options(std::vector<std::string> keylogs, std::vector<std::uint16_t> wg_ports, bool heuristic,
                         std::string date, std::vector<std::string> links) {
  return ReadOptions{std::move(keylogs), std::move(wg_ports), heuristic, std::move(date), std::move(links)};
}

}  // namespace

void bind_pcap(py::module_& m) {
  py::module_ pcap = m.def_submodule("pcap", "The capture library (pcap/): timelines and their comparison");
  pcap.attr("timeline_columns") = pcap::kTimelineColumns;
  pcap.def(
      "timeline",
      [](const std::vector<std::string>& inputs, std::vector<std::string> keylogs,
         std::vector<std::uint16_t> wg_ports, bool heuristic, std::string date, std::vector<std::string> links) {
        return timeline(inputs, read_options(std::move(keylogs), std::move(wg_ports), heuristic, std::move(date),
                                             std::move(links)));
      },
      py::arg("inputs"), py::arg("keylogs"), py::arg("wg_ports"), py::arg("heuristic"), py::arg("date"),
      py::arg("links"),
      "tether-pcap timeline of captures, text traces and result directories, as columns; "
      "{'ok': False, 'code', 'message'} when an input cannot be read");
  pcap.def(
      "compare",
      [](const std::vector<std::string>& a, const std::vector<std::string>& b, std::vector<std::string> keylogs,
         std::vector<std::uint16_t> wg_ports, bool heuristic, std::string date, std::vector<std::string> links,
         const std::vector<std::pair<std::string, std::string>>& every_kind, const std::vector<std::string>& rules,
         const std::string& anchor, const std::string& span, const std::string& a_name, const std::string& b_name) {
        return compare(a, b,
                       read_options(std::move(keylogs), std::move(wg_ports), heuristic, std::move(date),
                                    std::move(links)),
                       every_kind, rules, anchor, span, a_name, b_name);
      },
      py::arg("a"), py::arg("b"), py::arg("keylogs"), py::arg("wg_ports"), py::arg("heuristic"), py::arg("date"),
      py::arg("links"), py::arg("every_kind"), py::arg("rules"), py::arg("anchor"), py::arg("span"),
      py::arg("a_name"), py::arg("b_name"),
      "tether-pcap compare A B: the report as text and as JSON, and whether every check passed");
}

}  // namespace tether::python
