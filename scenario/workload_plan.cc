#include "scenario/workload_plan.h"

#include <algorithm>

namespace tether::scenario {

WorkloadPlan::WorkloadPlan(const WorkloadSpec& spec, std::uint64_t seed, std::string sender_hostname)
    : spec_(spec), seed_(seed), hostname_(std::move(sender_hostname)) {}

std::string WorkloadPlan::message_id(std::uint64_t index, std::uint64_t seed, const std::string& hostname) {
  return "<sim-" + std::to_string(index) + "." + std::to_string(seed) + "@" + hostname + ">";
}

std::string WorkloadPlan::message(std::uint64_t index) const {
  std::string to;
  for (const std::string& r : spec_.recipients) to += (to.empty() ? "<" : ", <") + r + ">";
  std::string text = "From: <" + spec_.from + ">\r\nTo: " + to + "\r\nSubject: tether-sim message " +
                     std::to_string(index) + "\r\nMessage-ID: " + message_id(index) + "\r\n\r\n";
  // The body: lines of 76 characters up to the size asked for.
  std::size_t body = 0;
  std::uint64_t line = 0;
  while (body < spec_.size) {
    std::string l = "line " + std::to_string(line++) + " ";
    l.resize(std::min<std::size_t>(76, std::max<std::size_t>(l.size(), spec_.size - body)), 'x');
    text += l + "\r\n";
    body += l.size() + 2;
  }
  return text;
}

}  // namespace tether::scenario
