#pragma once
// The scenario's workload as a plan: which message is handed over when,
// from whom, to whom, and its text, the same in every world. Message 0 is
// due at `start` (from the run's start); with fixed arrivals message i at
// start + i * interval, with poisson arrivals each after the one before by
// an exponential gap of mean `interval`, drawn from the run's seed (its
// own sequence, so a world's other randomness does not shift it). Each
// carries
// Message-ID <sim-I.SEED@SENDER-HOSTNAME>, by which the metrics find it in
// the final maildir.

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"
#include "scenario/scenario.h"

namespace tether::scenario {

class WorkloadPlan {
 public:
  WorkloadPlan(const WorkloadSpec& spec, std::uint64_t seed, std::string sender_hostname);

  const WorkloadSpec& spec() const { return spec_; }
  std::uint64_t count() const { return spec_.count; }
  // When message `index` is due, from the run's start.
  Duration due(std::uint64_t index) const;
  std::string message_id(std::uint64_t index) const { return message_id(index, seed_, hostname_); }
  // The whole message, headers and a body of lines up to the spec's size.
  std::string message(std::uint64_t index) const;

  static std::string message_id(std::uint64_t index, std::uint64_t seed, const std::string& hostname);

 private:
  WorkloadSpec spec_;
  std::uint64_t seed_;
  std::string hostname_;
  std::vector<Duration> poisson_due_;  // each message's due time, poisson arrivals only
};

}  // namespace tether::scenario
