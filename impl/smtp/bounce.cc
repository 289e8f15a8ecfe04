#include "smtp/bounce.h"

#include <cctype>
#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace tether::smtp {

namespace {

constexpr std::size_t kMaxDiagnostic = 900;  // keeps every field line under RFC 5322's 998

// "Tue, 21 Nov 2026 10:42:00 +0000", independent of the locale.
std::string rfc5322_date(WallTime t) {
  static const char* const kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(t.unix_seconds());
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// "4 hours", as OpenSMTPD words a delay.
std::string human_duration(Duration d) {
  std::int64_t s = d.whole_seconds();
  auto unit = [](std::int64_t n, const char* name) {
    return std::to_string(n) + " " + name + (n == 1 ? "" : "s");
  };
  if (s < 60) return unit(s, "second");
  if (s < 3600) return unit(s / 60, "minute");
  if (s < 86400) return unit(s / 3600, "hour");
  return unit(s / 86400, "day");
}

// One line, printable, bounded: error lines come from remote servers.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= kMaxDiagnostic) break;
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

bool starts_with_reply_code(std::string_view s) {
  return s.size() >= 3 && s[0] >= '2' && s[0] <= '5' && std::isdigit(static_cast<unsigned char>(s[1])) &&
         std::isdigit(static_cast<unsigned char>(s[2])) && (s.size() == 3 || s[3] == ' ' || s[3] == '-');
}

// RFC 3463 "class.subject.detail" whose class matches the reply's.
bool is_enhanced_code(std::string_view code, char reply_class) {
  if (code.size() < 5 || code[0] != reply_class || code[1] != '.') return false;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t start = i;
    while (i < code.size() && std::isdigit(static_cast<unsigned char>(code[i]))) ++i;
    if (i == start || i - start > 3) return false;
    if (part == 0) {
      if (i >= code.size() || code[i] != '.') return false;
      ++i;
    }
  }
  return i == code.size();
}

// Bare LF and bare CR become CRLF, so the report is one consistent message.
void append_crlf(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() != '\n') out += "\r\n";
}

}  // namespace

std::string failure_report_refusal(const Envelope& e) {
  if (e.type == DeliveryType::bounce) return "it is a report itself, and reports are never reported";
  if (e.null_sender()) return "the sender is <>, so there is no one to report to";
  if (e.dsn_notify & dsn_notify_never) return "the sender asked for no report (NOTIFY=NEVER)";
  if (e.dsn_notify != dsn_notify_none && !(e.dsn_notify & dsn_notify_failure))
    return "the sender asked for no failure report (NOTIFY without FAILURE)";
  return "";
}

bool delay_report_wanted(const Envelope& e) {
  if (e.type == DeliveryType::bounce || e.null_sender()) return false;
  if (e.dsn_notify & dsn_notify_never) return false;
  return e.dsn_notify == dsn_notify_none || (e.dsn_notify & dsn_notify_delay);
}

std::string status_from_error(std::string_view error, bool permanent) {
  if (starts_with_reply_code(error)) {
    std::string_view rest = error.substr(error.size() > 3 ? 4 : 3);
    std::string_view code = rest.substr(0, rest.find(' '));
    if (is_enhanced_code(code, error[0])) return std::string(code);
    if (error[0] == '5') return "5.0.0";
    if (error[0] == '4') return "4.0.0";
  }
  return permanent ? "5.0.0" : "4.0.0";
}

Envelope make_report_envelope(const Envelope& about, ReportKind kind, std::string_view error,
                              std::string_view status, WallTime now, Duration delay) {
  Envelope r = about;
  r.id = kind == ReportKind::failure ? about.id : 0;
  r.type = DeliveryType::bounce;
  r.report = kind;
  r.report_status = std::string(status);
  r.report_delay = delay;
  r.last_error = std::string(error);
  // A report lives on its own clock: due at once, then 10 s * n^2 retries
  // for at most kReportTtl. A delay warning is worth sending only while the
  // message is still being tried, so it lives as long as that (and its
  // expiry is the report's Will-Retry-Until). It keeps last_try:
  // Last-Attempt-Date.
  r.creation = now;
  r.expire = now + kReportTtl;
  if (kind == ReportKind::delay && now < about.expire) r.expire = about.expire;
  r.retry = 0;
  r.last_warning = WallTime();
  r.internal = true;
  r.suspended = false;
  return r;
}

std::string expiry_error(const Envelope& expired) {
  std::string text = "message expired after " + human_duration(expired.ttl()) + " in the queue";
  if (!expired.last_error.empty()) text += " (last error: " + one_line(expired.last_error) + ")";
  return text;
}

std::string_view message_header(std::string_view message) {
  for (std::size_t pos = 0; pos < message.size();) {
    std::size_t nl = message.find('\n', pos);
    if (nl == std::string_view::npos) return message;
    std::string_view line = message.substr(pos, nl - pos);
    if (line.empty() || line == "\r") return message.substr(0, pos);
    pos = nl + 1;
  }
  return message;
}

DeliveryReport build_report(const std::vector<Envelope>& reports, std::string_view original, WallTime now) {
  DeliveryReport r;
  r.date = now;
  if (reports.empty()) return r;
  const Envelope& first = reports.front();
  r.kind = first.report;
  r.reporting_mta = first.hostname;
  r.to = first.sender;
  r.envid = first.dsn_envid;
  r.msgid = first.msgid();
  r.delay = first.report_delay;
  r.retry_until = first.expire;
  for (const auto& e : reports) {
    DeliveryReport::Recipient rcpt;
    rcpt.final_recipient = e.dest.empty() ? e.rcpt : e.dest;
    rcpt.original_recipient = e.dsn_orcpt;
    rcpt.status = e.report_status.empty() ? status_from_error(e.last_error, e.report == ReportKind::failure)
                                          : e.report_status;
    rcpt.error = e.last_error;
    rcpt.last_attempt = e.last_try;
    r.recipients.push_back(std::move(rcpt));
    if (e.dsn_ret == DsnReturn::headers) r.headers_only = true;
  }
  // Delay warnings carry the header only: the message is still on its way.
  if (r.kind == ReportKind::delay) r.headers_only = true;
  r.original = std::string(r.headers_only ? message_header(original) : original);
  return r;
}

// Long: the RFC 3464 report's parts, written in the order they appear.
std::string format_delivery_report(const DeliveryReport& r) {
  const bool failure = r.kind == ReportKind::failure;
  char token[64];
  std::snprintf(token, sizeof token, "%08" PRIx32 ".%" PRIx64, r.msgid, static_cast<std::uint64_t>(r.date.unix_ns()));
  std::string boundary = std::string("=_tether-report-") + token;
  while (r.original.find(boundary) != std::string::npos) boundary += "=";

  std::string out;
  out.reserve(2048 + r.original.size());
  auto line = [&](std::string_view text) {
    out.append(text.data(), text.size());
    out += "\r\n";
  };

  line("From: Mail Delivery System <MAILER-DAEMON@" + r.reporting_mta + ">");
  line("To: <" + r.to + ">");
  line(failure ? "Subject: Delivery status notification: error"
               : "Subject: Delivery status notification: delayed");
  line("Date: " + rfc5322_date(r.date));
  line(std::string("Message-ID: <") + token + ".report@" + r.reporting_mta + ">");
  line("Auto-Submitted: auto-replied");  // RFC 3834: machines must not answer it
  line("MIME-Version: 1.0");
  line("Content-Type: multipart/report; report-type=delivery-status;");
  line("\tboundary=\"" + boundary + "\"");
  line("");
  line("This is a MIME-encapsulated message.");
  line("");

  // Part 1: for people.
  line("--" + boundary);
  line("Content-Description: Notification");
  line("Content-Type: text/plain; charset=us-ascii");
  line("");
  line("This is the mail system at " + r.reporting_mta + ". Please do not reply to this message.");
  line("");
  if (failure) {
    line("Your message could not be delivered to the following recipients:");
  } else {
    line("Your message has been delayed for more than " + human_duration(r.delay) +
         " for the following recipients:");
  }
  line("");
  for (const auto& rcpt : r.recipients) line("    " + rcpt.final_recipient + ": " + one_line(rcpt.error));
  line("");
  if (!failure) {
    line("This is only a warning. The message stays in the queue and will be tried");
    line("again until " + rfc5322_date(r.retry_until) + ". You do not need to send it again.");
    line("");
  }

  // Part 2: for machines (RFC 3464).
  line("--" + boundary);
  line("Content-Description: Delivery report");
  line("Content-Type: message/delivery-status");
  line("");
  line("Reporting-MTA: dns; " + r.reporting_mta);
  if (!r.envid.empty()) line("Original-Envelope-Id: " + one_line(r.envid));
  for (const auto& rcpt : r.recipients) {
    line("");
    if (!rcpt.original_recipient.empty()) {
      const std::string& o = rcpt.original_recipient;
      line("Original-Recipient: " + (o.find(';') == std::string::npos ? "rfc822; " + o : one_line(o)));
    }
    line("Final-Recipient: rfc822; " + rcpt.final_recipient);
    line(std::string("Action: ") + (failure ? "failed" : "delayed"));
    line("Status: " + rcpt.status);
    if (!rcpt.error.empty()) {
      const std::string text = one_line(rcpt.error);
      line((starts_with_reply_code(text) ? "Diagnostic-Code: smtp; " : "Diagnostic-Code: X-tether; ") + text);
    }
    if (rcpt.last_attempt.unix_ns() != 0) line("Last-Attempt-Date: " + rfc5322_date(rcpt.last_attempt));
    if (!failure) line("Will-Retry-Until: " + rfc5322_date(r.retry_until));
  }
  line("");

  // Part 3: what it is about.
  line("--" + boundary);
  if (r.headers_only) {
    line("Content-Description: Message headers");
    line("Content-Type: text/rfc822-headers");
  } else {
    line("Content-Description: Undelivered message");
    line("Content-Type: message/rfc822");
  }
  line("");
  append_crlf(out, r.original);
  line("");
  line("--" + boundary + "--");
  return out;
}

Envelope injected_report_envelope(const Envelope& report, WallTime now, Duration ttl) {
  Envelope e;
  e.type = DeliveryType::mta;
  e.family = SourceFamily::local;
  e.hostname = report.hostname;
  e.sender = "";
  e.rcpt = report.sender;
  e.dest = report.sender;
  e.destination = address_domain(report.sender);
  e.creation = now;
  e.expire = now + ttl;
  e.internal = true;
  e.dsn_notify = dsn_notify_never;
  return e;
}

std::string injection_failure_log(bool permanent, MessageId msgid, std::string_view to, std::size_t envelopes,
                                  std::string_view reply) {
  std::string status(reply);
  if (status.find('<') == std::string::npos) status += ": <" + std::string(to) + ">";
  return std::string("warn: ") + (permanent ? "PermFail" : "TempFail") + " injecting failure report on message " +
         format_message_id(msgid) + " to <" + std::string(to) + "> for " + std::to_string(envelopes) +
         " envelope" + (envelopes > 1 ? "s" : "") + ": " + status;
}

std::string report_injected_log(ReportKind kind, MessageId about, std::string_view sender, MessageId dsn) {
  return std::string(kind == ReportKind::failure ? "failure" : "delay") + " report on message " +
         format_message_id(about) + " queued to <" + std::string(sender) + "> as " + format_message_id(dsn);
}

std::string report_injected_note(MessageId about, std::string_view sender) {
  return "about " + format_message_id(about) + " to <" + std::string(sender) + ">";
}

std::string failure_report_note(const Envelope& about) {
  return "failure report about " + format_envelope_id(about.id) + " to <" + about.sender + ">";
}

std::string delay_warning_note(EnvelopeId about) { return "delay warning about " + format_envelope_id(about); }

}  // namespace tether::smtp
