#pragma once
// The WireGuard pairs of a timeline, for the inference's parts
// (infer_wireguard.cc, infer_nat.cc): the messages on the wire between two
// endpoints in one capture, in time order. Internal to pcap/infer*.

#include <string>
#include <vector>

#include "pcap/timeline.h"

namespace tether::pcap {

struct WireGuardPair {
  std::size_t capture = 0;
  std::string a, b;  // a < b
  std::vector<const TimelineEvent*> events;
};

// In order of each pair's first message.
std::vector<WireGuardPair> wireguard_pairs(const Timeline& timeline);

// The address of "ADDRESS:PORT" or "[V6]:PORT".
inline std::string endpoint_address(const std::string& endpoint) {
  if (!endpoint.empty() && endpoint.front() == '[') return endpoint.substr(1, endpoint.find(']') - 1);
  return endpoint.substr(0, endpoint.rfind(':'));
}

inline double seconds_between(const TimelineEvent& earlier, const TimelineEvent& later) {
  return (later.at - earlier.at).seconds_f();
}

// "packet N (TIME s)": where a figure's evidence is, in the capture's own
// numbering, TIME counted from the timeline's first event.
std::string packet_reference(const Timeline& timeline, const TimelineEvent& event);

}  // namespace tether::pcap
