// tetherd's relay event lines back into MailRelayEvents (relay_log_events.h).

#include "lab/runner/relay_log_events.h"

#include <cstdlib>
#include <string_view>

#include "smtp/envelope.h"

namespace tether::lab {

namespace {

using Kind = node::MailRelayEvent::Kind;

std::optional<Kind> kind_named(std::string_view word) {
  for (int k = static_cast<int>(Kind::session_opened); k <= static_cast<int>(Kind::smtp_resumed); ++k)
    if (word == node::to_string(static_cast<Kind>(k))) return static_cast<Kind>(k);
  return std::nullopt;
}

// One value at `at` (bare, or quoted as relay_event_log.h says); `at` ends past it.
Result<std::string> read_value(std::string_view text, std::size_t& at) {
  if (at >= text.size() || text[at] != '"') {
    const std::size_t end = std::min(text.find(' ', at), text.size());
    std::string value(text.substr(at, end - at));
    at = end;
    return value;
  }
  std::string value;
  for (++at; at < text.size(); ++at) {
    const char c = text[at];
    if (c == '"') {
      ++at;
      return value;
    }
    if (c != '\\') {
      value += c;
      continue;
    }
    if (++at >= text.size()) break;
    if (text[at] != 'x') {
      value += text[at];
      continue;
    }
    if (at + 2 >= text.size()) break;
    char* end = nullptr;
    const std::string hex(text.substr(at + 1, 2));
    const long byte = std::strtol(hex.c_str(), &end, 16);
    if (end != hex.c_str() + 2) return Error(ErrorCode::invalid_argument, "a bad \\x escape");
    value += static_cast<char>(byte);
    at += 2;
  }
  return Error(ErrorCode::invalid_argument, "an unterminated quoted value");
}

Result<smtp::EnvelopeId> queue_id(const std::string& key, const std::string& value) {
  auto id = smtp::parse_queue_id(value);
  if (!id.ok()) return Error(ErrorCode::invalid_argument, key + "=" + value + ": not a queue id");
  return *id;
}

Result<void> set_field(node::MailRelayEvent& e, const std::string& key, const std::string& value) {
  if (key == "msgid") {
    auto id = queue_id(key, value);
    if (!id.ok()) return id.error();
    e.msgid = static_cast<smtp::MessageId>(*id);
  } else if (key == "evpid") {
    auto id = queue_id(key, value);
    if (!id.ok()) return id.error();
    e.evpid = *id;
  } else if (key == "envelopes") {
    for (std::size_t from = 0; from <= value.size();) {
      const std::size_t comma = std::min(value.find(',', from), value.size());
      auto id = queue_id(key, value.substr(from, comma - from));
      if (!id.ok()) return id.error();
      e.envelopes.push_back(*id);
      from = comma + 1;
    }
  } else if (key == "message-id") {
    e.message_id = value;
  } else if (key == "destination") {
    e.destination = value;
  } else if (key == "path") {
    e.path = value;
  } else if (key == "detail") {
    e.detail = value;
  }  // a field a later tetherd adds: not ours to read
  return {};
}

}  // namespace

Result<std::optional<node::MailRelayEvent>> parse_relay_log_event(const LogLine& line, Time run_start) {
  const std::string_view text = line.text;
  std::size_t at = std::min(text.find(' '), text.size());
  const auto kind = kind_named(text.substr(0, at));
  if (!kind) return std::optional<node::MailRelayEvent>();
  node::MailRelayEvent e;
  e.kind = *kind;
  e.time = Time::zero() + (line.stamp() - run_start);
  while (at < text.size()) {
    ++at;  // the space
    const std::size_t equals = text.find('=', at);
    if (equals == std::string_view::npos)
      return Error(ErrorCode::invalid_argument, "\"" + line.text + "\": a field without '=' at column " + std::to_string(at + 1));
    const std::string key(text.substr(at, equals - at));
    at = equals + 1;
    auto value = read_value(text, at);
    if (!value.ok()) return Error(ErrorCode::invalid_argument, "\"" + line.text + "\": " + key + ": " + value.error().message);
    if (auto r = set_field(e, key, *value); !r.ok()) return Error(ErrorCode::invalid_argument, "\"" + line.text + "\": " + r.error().message);
    if (at < text.size() && text[at] != ' ')
      return Error(ErrorCode::invalid_argument, "\"" + line.text + "\": no space after " + key + "'s value");
  }
  return std::optional<node::MailRelayEvent>(std::move(e));
}

void feed_relay_event_list(scenario::Metrics& metrics, const scenario::HostSpec& host,
                           const std::vector<node::MailRelayEvent>& events, Time end, bool maildirs_watched,
                           scenario::RelayTotals& totals) {
  for (const node::MailRelayEvent& e : events) {
    if (e.time < Time::zero() || e.time > end) continue;
    // As MailRelayCounters counts them (node/relay_outcomes.cc, relay_mta.cc, relay_mda.cc).
    switch (e.kind) {
      case Kind::message_accepted: ++totals.accepted; break;
      case Kind::delivery_attempt: ++totals.attempts; break;
      case Kind::delivered: ++totals.delivered; break;
      case Kind::temporary_failure: ++totals.temporary_failures; break;
      case Kind::permanent_failure: ++totals.permanent_failures; break;
      default: break;
    }
    if (maildirs_watched && e.kind == Kind::delivered && !e.path.empty()) continue;
    metrics.on_relay_event(host, e, nullptr);
  }
}

std::vector<std::string> feed_relay_events(scenario::Metrics& metrics, const scenario::HostSpec& host,
                                           const std::vector<LogLine>& lines, Time run_start, Time end,
                                           bool maildirs_watched, scenario::RelayTotals& totals) {
  std::vector<std::string> problems;
  std::vector<node::MailRelayEvent> events;
  for (const LogLine& line : lines) {
    auto parsed = parse_relay_log_event(line, run_start);
    if (!parsed.ok()) {
      problems.push_back(host.name + ": " + parsed.error().message);
      continue;
    }
    if (*parsed) events.push_back(**parsed);
  }
  feed_relay_event_list(metrics, host, events, end, maildirs_watched, totals);
  return problems;
}

void feed_route_ups(scenario::Metrics& metrics, const scenario::HostSpec& host, const std::vector<LogLine>& lines,
                    Time run_start, Time end) {
  static const std::string marker = "tunnel route back: ";
  for (const LogLine& line : lines) {
    if (line.text.rfind(marker, 0) != 0) continue;
    const Time at = Time::zero() + (line.stamp() - run_start);
    if (at < Time::zero() || at > end) continue;
    const std::string due = line.text.substr(marker.size(), line.text.find(' ', marker.size()) - marker.size());
    metrics.on_world_event(at, "route-up", host.name, due + " due");
  }
}

}  // namespace tether::lab
