#pragma once
// The scenario's workload as a plan: which message is handed over when,
// from whom, to whom, and its text, the same in every world. Message i is
// due at start + i * interval (from the run's start) and carries
// Message-ID <sim-I.SEED@SENDER-HOSTNAME>, by which the metrics find it in
// the final maildir.

#include <cstdint>
#include <string>

#include "core/time.h"
#include "scenario/scenario.h"

namespace tether::scenario {

class WorkloadPlan {
 public:
  WorkloadPlan(const WorkloadSpec& spec, std::uint64_t seed, std::string sender_hostname);

  const WorkloadSpec& spec() const { return spec_; }
  std::uint64_t count() const { return spec_.count; }
  // When message `index` is due, from the run's start.
  Duration due(std::uint64_t index) const { return spec_.start + spec_.interval * std::int64_t(index); }
  std::string message_id(std::uint64_t index) const { return message_id(index, seed_, hostname_); }
  // The whole message, headers and a body of lines up to the spec's size.
  std::string message(std::uint64_t index) const;

  static std::string message_id(std::uint64_t index, std::uint64_t seed, const std::string& hostname);

 private:
  WorkloadSpec spec_;
  std::uint64_t seed_;
  std::string hostname_;
};

}  // namespace tether::scenario
