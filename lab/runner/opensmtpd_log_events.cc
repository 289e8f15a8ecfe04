#include "lab/runner/opensmtpd_log_events.h"

#include <cstdlib>
#include <optional>
#include <sstream>

namespace tether::lab {
namespace {

using Kind = node::MailRelayEvent::Kind;

// The value of `key=` in a log line: up to the next blank, or quoted.
std::optional<std::string> field(const std::string& line, const std::string& key) {
  const std::string needle = " " + key + "=";
  const auto at = line.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const std::size_t from = at + needle.size();
  if (from < line.size() && line[from] == '"') {
    const auto close = line.find('"', from + 1);
    return line.substr(from + 1, close == std::string::npos ? std::string::npos : close - from - 1);
  }
  return line.substr(from, line.find(' ', from) - from);
}

std::uint64_t hex(const std::string& text) { return std::strtoull(text.c_str(), nullptr, 16); }

// "Ok", "TempFail", "PermFail" (mta.c/mda.c); a loop is a permanent one.
std::optional<Kind> delivery_kind(const std::string& result) {
  if (result == "Ok") return Kind::delivered;
  if (result == "TempFail") return Kind::temporary_failure;
  if (result == "PermFail" || result == "Loop") return Kind::permanent_failure;
  return std::nullopt;
}

std::optional<node::MailRelayEvent> event_of(const std::string& text) {
  node::MailRelayEvent e;
  if (text == "info: smtp paused") {
    e.kind = Kind::smtp_paused;
    return e;
  }
  if (text == "info: smtp resumed") {
    e.kind = Kind::smtp_resumed;
    return e;
  }
  const std::string line = " " + text;
  if (line.find(" smtp message ") != std::string::npos) {
    const auto msgid = field(line, "msgid");
    if (!msgid) return std::nullopt;
    e.kind = Kind::message_accepted;
    e.msgid = smtp::MessageId(hex(*msgid));
    e.detail = "msgid=" + *msgid;
    return e;
  }
  if (line.find(" mta delivery ") == std::string::npos && line.find(" mda delivery ") == std::string::npos)
    return std::nullopt;
  const auto evpid = field(line, "evpid");
  const auto result = field(line, "result");
  const auto kind = result ? delivery_kind(*result) : std::nullopt;
  if (!evpid || !kind) return std::nullopt;
  // A local delivery is the maildir watcher's to report (delivered-maildir,
  // with its Message-ID); "relayed" would be wrong for it.
  if (*kind == Kind::delivered && line.find(" mda delivery ") != std::string::npos) return std::nullopt;
  e.kind = *kind;
  e.evpid = hex(*evpid);
  e.msgid = smtp::MessageId(e.evpid >> 32);  // an evpid's top half is its msgid (queue.c)
  e.destination = field(line, "relay").value_or(field(line, "to").value_or(""));
  const std::string stat = field(line, "stat").value_or("");
  e.detail = "msgid=" + evpid->substr(0, 8) + " " + (e.kind == Kind::delivered ? e.destination : stat);
  return e;
}

}  // namespace

std::vector<node::MailRelayEvent> parse_opensmtpd_log(const std::string& log, std::chrono::system_clock::time_point start) {
  const double zero = std::chrono::duration<double>(start.time_since_epoch()).count();
  std::vector<node::MailRelayEvent> out;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    const auto blank = line.find(' ');
    if (blank == std::string::npos) continue;
    char* end = nullptr;
    const double stamp = std::strtod(line.c_str(), &end);
    if (end != line.c_str() + blank) continue;
    auto e = event_of(line.substr(blank + 1));
    if (!e) continue;
    e->time = Time::zero() + Duration::nanoseconds(std::int64_t((stamp - zero) * 1e9));
    out.push_back(std::move(*e));
  }
  return out;
}

}  // namespace tether::lab
