#include "node/relay_event_log.h"

#include <cstdio>

namespace tether::node {

namespace {

bool bare(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

void field(std::string& line, const char* key, std::string_view value) {
  if (value.empty()) return;
  line += ' ';
  line += key;
  line += '=';
  line += quote_relay_log_value(value);
}

}  // namespace

std::string quote_relay_log_value(std::string_view value) {
  if (bare(value)) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string format_relay_event_line(const MailRelayEvent& e) {
  std::string line = to_string(e.kind);
  if (e.msgid != 0) field(line, "msgid", smtp::format_message_id(e.msgid));
  if (e.evpid != 0) field(line, "evpid", smtp::format_envelope_id(e.evpid));
  std::string envelopes;
  for (smtp::EnvelopeId id : e.envelopes) envelopes += (envelopes.empty() ? "" : ",") + smtp::format_envelope_id(id);
  field(line, "envelopes", envelopes);
  field(line, "message-id", e.message_id);
  field(line, "destination", e.destination);
  field(line, "path", e.path.string());
  field(line, "detail", e.detail);
  return line;
}

}  // namespace tether::node
