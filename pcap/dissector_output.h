#pragma once
// Where the TCP, SMTP and ICMP dissectors put what they find: timeline
// events, and problems with the input (a truncated segment, garbage on port
// 25, an absurd sequence jump), each naming the capture and the packet.
// Problems are bounded: a capture full of garbage cannot grow them without
// limit (the count of those dropped is kept).

#include <cstddef>
#include <string>
#include <vector>

#include "pcap/packet.h"
#include "pcap/timeline_event.h"

namespace tether::pcap {

struct DissectorOutput {
  std::vector<TimelineEvent> events;
  std::vector<std::string> problems;  // "smtp.pcap packet 12: smtp: malformed reply 'xyz'"
  std::size_t problems_dropped = 0;

  static constexpr std::size_t kMaxProblems = 10000;

  void problem(const Origin& origin, const std::string& what);
  // An event stamped with where `origin` is in the capture.
  TimelineEvent& add(const Origin& origin, std::string source, std::string destination, std::string protocol,
                     std::string kind, std::string detail = {});
};

// "smtp.pcap packet 12" (or "capture 0 packet 12" when the capture has no name).
std::string describe(const Origin& origin);

// Endpoint::to_string's text ("192.0.2.1:25", "[2001:db8::1]:51820") for an
// event's source and destination, written by hand rather than through
// inet_ntop's sprintf, as it is twice per event of a large capture.
std::string endpoint_text(const Endpoint& endpoint);
void append_endpoint_text(std::string& out, const Endpoint& endpoint);

// A new event at the end of `out`: one of `recycled` (events already
// written out, their strings' memory kept and every field emptied) when
// there is one, so that a large capture's events cost no allocation each;
// a fresh one otherwise.
TimelineEvent& new_event(std::vector<TimelineEvent>& out, std::vector<TimelineEvent>* recycled);
// std::to_string's digits, appended.
void append_decimal(std::string& out, std::uint64_t value);

}  // namespace tether::pcap
