#include "pcap/dissector_output.h"

#include <utility>

namespace tether::pcap {

std::string describe(const Origin& origin) {
  std::string where = origin.capture_name.empty() ? "capture " + std::to_string(origin.capture) : origin.capture_name;
  return where + " packet " + std::to_string(origin.packet_number);
}

void DissectorOutput::problem(const Origin& origin, const std::string& what) {
  if (problems.size() >= kMaxProblems) {
    ++problems_dropped;
    return;
  }
  problems.push_back(describe(origin) + ": " + what);
}

TimelineEvent& DissectorOutput::add(const Origin& origin, std::string source, std::string destination,
                                    std::string protocol, std::string kind, std::string detail) {
  TimelineEvent& e = events.emplace_back();
  e.at = origin.at;
  e.capture = origin.capture;
  e.link = origin.capture_name;
  e.packet_number = origin.packet_number;
  e.source = std::move(source);
  e.destination = std::move(destination);
  e.protocol = std::move(protocol);
  e.kind = std::move(kind);
  e.detail = std::move(detail);
  return e;
}

}  // namespace tether::pcap
