#pragma once
// Runs segments through the TCP dissector with SMTP attached, and picks
// events out of the result, for the pcap tests.

#include <string>
#include <vector>

#include "pcap/dissector_output.h"
#include "pcap/smtp_dissector.h"
#include "pcap/tcp_dissector.h"

namespace tether::pcap::testing {

inline DissectorOutput dissect(const std::vector<Segment>& segments) {
  DissectorOutput out;
  TcpDissector tcp(out, smtp_stream_dissectors());
  for (const Segment& s : segments) tcp.segment(s);
  tcp.finish();
  return out;
}

inline std::vector<TimelineEvent> of(const DissectorOutput& out, const std::string& protocol) {
  std::vector<TimelineEvent> picked;
  for (const TimelineEvent& e : out.events)
    if (e.protocol == protocol) picked.push_back(e);
  return picked;
}

// "greeting 220", "command EHLO", "reply 250", "data", ...: one word per
// SMTP event, for comparing whole conversations.
inline std::vector<std::string> smtp_outline(const DissectorOutput& out) {
  std::vector<std::string> lines;
  for (const TimelineEvent& e : of(out, "smtp")) {
    std::string l = e.kind;
    if (!e.smtp_verb.empty()) l += " " + e.smtp_verb;
    if (e.smtp_code) l += " " + std::to_string(*e.smtp_code);
    lines.push_back(l);
  }
  return lines;
}

inline std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += x + "\n";
  return s;
}

}  // namespace tether::pcap::testing
