#include "smtp/envelope.h"

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <vector>

#include "core/ascii.h"

namespace tether::smtp {

std::string format_message_id(MessageId id) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08" PRIx32, id);
  return buf;
}

std::string format_envelope_id(EnvelopeId id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, id);
  return buf;
}

Result<std::uint64_t> parse_queue_id(std::string_view text) {
  if (text.empty() || text.size() > 16)
    return make_error(ErrorCode::invalid_argument, "bad queue id '" + std::string(text) + "'");
  std::uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return make_error(ErrorCode::invalid_argument, "bad queue id '" + std::string(text) + "'");
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  if (v == 0) return make_error(ErrorCode::invalid_argument, "queue id 0 names nothing");
  return v;
}

const char* to_string(DeliveryType type) {
  switch (type) {
    case DeliveryType::mda: return "mda";
    case DeliveryType::mta: return "mta";
    case DeliveryType::bounce: return "bounce";
  }
  return "?";
}

std::optional<DeliveryType> parse_delivery_type(std::string_view text) {
  if (text == "mda") return DeliveryType::mda;
  if (text == "mta") return DeliveryType::mta;
  if (text == "bounce") return DeliveryType::bounce;
  return std::nullopt;
}

const char* to_string(SourceFamily family) {
  switch (family) {
    case SourceFamily::local: return "local";
    case SourceFamily::inet4: return "inet4";
    case SourceFamily::inet6: return "inet6";
  }
  return "?";
}

const char* to_string(ReportKind kind) { return kind == ReportKind::failure ? "failure" : "delay"; }

bool Envelope::operator==(const Envelope& o) const {
  return id == o.id && type == o.type && family == o.family && source == o.source && helo == o.helo &&
         hostname == o.hostname && sender == o.sender && rcpt == o.rcpt && dest == o.dest &&
         destination == o.destination && action == o.action && creation == o.creation && expire == o.expire &&
         retry == o.retry && last_try == o.last_try && last_warning == o.last_warning &&
         last_error == o.last_error && authenticated == o.authenticated && internal == o.internal &&
         suspended == o.suspended && report == o.report && report_status == o.report_status &&
         report_delay == o.report_delay && dsn_notify == o.dsn_notify && dsn_ret == o.dsn_ret &&
         dsn_envid == o.dsn_envid && dsn_orcpt == o.dsn_orcpt;
}

std::string address_domain(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return std::string();
  return ascii_lower(address.substr(at + 1));
}

namespace {

// ---- value encodings ----

std::string escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

std::optional<std::string> unescape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\') {
      out += v[i];
      continue;
    }
    if (++i == v.size()) return std::nullopt;
    if (v[i] == '\\') out += '\\';
    else if (v[i] == 'n') out += '\n';
    else if (v[i] == 'r') out += '\r';
    else return std::nullopt;
  }
  return out;
}

// Unix time with nanoseconds: "1700000000.250000000"; "0" for the epoch
// (which the envelope uses as "never").
std::string format_time(WallTime t) {
  std::int64_t ns = t.unix_ns();
  if (ns == 0) return "0";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%09" PRId64, ns / 1000'000'000, ns % 1000'000'000);
  return buf;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<WallTime> parse_time(std::string_view s) {
  auto dot = s.find('.');
  auto secs = parse_unsigned(s.substr(0, dot), 9'000'000'000ULL);
  if (!secs) return std::nullopt;
  std::uint64_t frac = 0;
  if (dot != std::string_view::npos) {
    auto f = s.substr(dot + 1);
    if (f.size() != 9) return std::nullopt;
    auto v = parse_unsigned(f, 999'999'999ULL);
    if (!v) return std::nullopt;
    frac = *v;
  }
  return WallTime::from_unix_ns(static_cast<std::int64_t>(*secs) * 1000'000'000 + static_cast<std::int64_t>(frac));
}

std::string format_notify(unsigned n) {
  if (n & dsn_notify_never) return "never";
  std::string out;
  auto add = [&](unsigned bit, const char* name) {
    if (!(n & bit)) return;
    if (!out.empty()) out += ',';
    out += name;
  };
  add(dsn_notify_success, "success");
  add(dsn_notify_failure, "failure");
  add(dsn_notify_delay, "delay");
  return out;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    auto c = s.find(',');
    out.push_back(s.substr(0, c));
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

std::optional<unsigned> parse_notify(std::string_view s) {
  if (s.empty()) return dsn_notify_none;
  if (s == "never") return dsn_notify_never;
  unsigned n = 0;
  for (auto item : split_commas(s)) {
    if (item == "success") n |= dsn_notify_success;
    else if (item == "failure") n |= dsn_notify_failure;
    else if (item == "delay") n |= dsn_notify_delay;
    else return std::nullopt;
  }
  return n;
}

const char* format_ret(DsnReturn r) {
  switch (r) {
    case DsnReturn::unspecified: return "";
    case DsnReturn::full: return "full";
    case DsnReturn::headers: return "hdrs";
  }
  return "";
}

std::string format_flags(const Envelope& e) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!out.empty()) out += ',';
    out += name;
  };
  add(e.authenticated, "authenticated");
  add(e.internal, "internal");
  add(e.suspended, "suspended");
  return out;
}

// The keys in the order they are written; all of them are required.
const char* const kKeys[] = {
    "version", "evpid",  "msgid",     "type",        "family",       "source",   "helo",         "hostname",
    "sender",  "rcpt",   "dest",      "destination", "action",       "ctime",    "expire",       "retry",
    "last-try", "last-warning", "last-error", "flags", "report", "report-status", "report-delay", "dsn-notify",
    "dsn-ret", "dsn-envid", "dsn-orcpt",
};

}  // namespace

std::string serialize_envelope(const Envelope& e) {
  std::string out;
  out.reserve(512);
  auto put = [&](const char* key, std::string_view value) {
    out += key;
    out += ": ";
    out += escape(value);
    out += '\n';
  };
  put("version", std::to_string(kEnvelopeFormatVersion));
  put("evpid", format_envelope_id(e.id));
  put("msgid", format_message_id(e.msgid()));
  put("type", to_string(e.type));
  put("family", to_string(e.family));
  put("source", e.source);
  put("helo", e.helo);
  put("hostname", e.hostname);
  put("sender", e.sender);
  put("rcpt", e.rcpt);
  put("dest", e.dest);
  put("destination", e.destination);
  put("action", e.action);
  put("ctime", format_time(e.creation));
  put("expire", format_time(e.expire));
  put("retry", std::to_string(e.retry));
  put("last-try", format_time(e.last_try));
  put("last-warning", format_time(e.last_warning));
  put("last-error", e.last_error);
  put("flags", format_flags(e));
  put("report", to_string(e.report));
  put("report-status", e.report_status);
  put("report-delay", std::to_string(e.report_delay.ns()));
  put("dsn-notify", format_notify(e.dsn_notify));
  put("dsn-ret", format_ret(e.dsn_ret));
  put("dsn-envid", e.dsn_envid);
  put("dsn-orcpt", e.dsn_orcpt);
  return out;
}

// Long: one check per envelope field, each with its own error.
Result<Envelope> parse_envelope(std::string_view text, const std::string& file) {
  auto fail = [&](int line, const std::string& what) -> Error {
    return make_error(ErrorCode::invalid_argument, file + ":" + std::to_string(line) + ": " + what);
  };
  if (text.empty()) return fail(1, "empty envelope file");

  std::map<std::string, std::pair<std::string, int>> values;  // key -> (value, line)
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return fail(line_no, "last line has no newline (truncated file?)");
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(line_no, "expected 'key: value'");
    std::string key(line.substr(0, colon));
    std::string_view raw = line.substr(colon + 1);
    if (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
    if (std::find_if(std::begin(kKeys), std::end(kKeys), [&](const char* k) { return key == k; }) ==
        std::end(kKeys))
      return fail(line_no, "unknown key '" + key + "'");
    if (line_no == 1 && key != "version") return fail(1, "the first line must be 'version'");
    auto value = unescape(raw);
    if (!value) return fail(line_no, "bad escape in '" + key + "'");
    if (!values.emplace(key, std::make_pair(*value, line_no)).second)
      return fail(line_no, "'" + key + "' given twice");
  }
  for (const char* k : kKeys)
    if (!values.count(k)) return fail(line_no + 1, std::string("missing '") + k + "' (truncated file?)");

  auto get = [&](const char* k) -> const std::string& { return values.at(k).first; };
  auto at = [&](const char* k) { return values.at(k).second; };

  if (get("version") != std::to_string(kEnvelopeFormatVersion))
    return fail(at("version"), "unsupported envelope version '" + get("version") + "'");

  Envelope e;
  auto id = parse_queue_id(get("evpid"));
  if (!id || get("evpid").size() != 16 || is_message_id(*id))
    return fail(at("evpid"), "bad envelope id '" + get("evpid") + "'");
  e.id = *id;
  if (get("msgid") != format_message_id(e.msgid()))
    return fail(at("msgid"), "message id '" + get("msgid") + "' does not match the envelope id");

  auto type = parse_delivery_type(get("type"));
  if (!type) return fail(at("type"), "bad type '" + get("type") + "'");
  e.type = *type;
  const std::string& fam = get("family");
  if (fam == "local") e.family = SourceFamily::local;
  else if (fam == "inet4") e.family = SourceFamily::inet4;
  else if (fam == "inet6") e.family = SourceFamily::inet6;
  else return fail(at("family"), "bad family '" + fam + "'");

  e.source = get("source");
  e.helo = get("helo");
  e.hostname = get("hostname");
  e.sender = get("sender");
  e.rcpt = get("rcpt");
  e.dest = get("dest");
  e.destination = get("destination");
  e.action = get("action");
  e.last_error = get("last-error");
  e.report_status = get("report-status");
  e.dsn_envid = get("dsn-envid");
  e.dsn_orcpt = get("dsn-orcpt");

  struct TimeField {
    const char* key;
    WallTime* out;
  } times[] = {{"ctime", &e.creation}, {"expire", &e.expire}, {"last-try", &e.last_try},
               {"last-warning", &e.last_warning}};
  for (auto& f : times) {
    auto t = parse_time(get(f.key));
    if (!t) return fail(at(f.key), std::string("bad time in '") + f.key + "': '" + get(f.key) + "'");
    *f.out = *t;
  }
  if (e.expire < e.creation) return fail(at("expire"), "expires before it was created");

  auto retry = parse_unsigned(get("retry"), 0xffffffffULL);
  if (!retry) return fail(at("retry"), "bad retry count '" + get("retry") + "'");
  e.retry = static_cast<std::uint32_t>(*retry);

  if (!get("flags").empty()) {
    for (auto f : split_commas(get("flags"))) {
      if (f == "authenticated") e.authenticated = true;
      else if (f == "internal") e.internal = true;
      else if (f == "suspended") e.suspended = true;
      else return fail(at("flags"), "unknown flag '" + std::string(f) + "'");
    }
  }

  if (get("report") == "failure") e.report = ReportKind::failure;
  else if (get("report") == "delay") e.report = ReportKind::delay;
  else return fail(at("report"), "bad report kind '" + get("report") + "'");
  auto delay = parse_unsigned(get("report-delay"), 0x7fffffffffffffffULL);
  if (!delay) return fail(at("report-delay"), "bad report delay '" + get("report-delay") + "'");
  e.report_delay = Duration::nanoseconds(static_cast<std::int64_t>(*delay));

  auto notify = parse_notify(get("dsn-notify"));
  if (!notify) return fail(at("dsn-notify"), "bad dsn-notify '" + get("dsn-notify") + "'");
  e.dsn_notify = *notify;
  const std::string& ret = get("dsn-ret");
  if (ret.empty()) e.dsn_ret = DsnReturn::unspecified;
  else if (ret == "full") e.dsn_ret = DsnReturn::full;
  else if (ret == "hdrs") e.dsn_ret = DsnReturn::headers;
  else return fail(at("dsn-ret"), "bad dsn-ret '" + ret + "'");
  return e;
}

}  // namespace tether::smtp
