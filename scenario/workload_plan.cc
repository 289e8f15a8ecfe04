#include "scenario/workload_plan.h"

#include <algorithm>
#include <cmath>

namespace tether::scenario {
namespace {

// SplitMix64 (Steele, Lea and Flood): a small generator whose output is
// fixed by its definition, unlike std::exponential_distribution's, which
// each standard library may draw differently; a run must repeat anywhere.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1]: never 0, whose logarithm has no value.
  double unit() { return double((next() >> 11) + 1) * 0x1.0p-53; }
};

// The workload's own stream of the seed ("workload" in ASCII mixed in), so
// that it does not coincide with another use of the same seed.
constexpr std::uint64_t kWorkloadStream = 0x776f726b6c6f6164ULL;

}  // namespace

WorkloadPlan::WorkloadPlan(const WorkloadSpec& spec, std::uint64_t seed, std::string sender_hostname)
    : spec_(spec), seed_(seed), hostname_(std::move(sender_hostname)) {
  if (spec_.arrivals != Arrivals::poisson) return;
  // Exponential gaps by inversion: -mean * ln(U).
  SplitMix64 random{seed ^ kWorkloadStream};
  const double mean = double(spec_.interval.ns());
  // Capped about 31 years out, far past any run, so no sum overflows.
  const double cap = 1e18;
  double at = double(spec_.start.ns());
  poisson_due_.reserve(spec_.count);
  for (std::uint64_t i = 0; i < spec_.count; ++i) {
    if (i > 0) at = std::min(cap, at - mean * std::log(random.unit()));
    poisson_due_.push_back(Duration::nanoseconds(std::int64_t(std::llround(at))));
  }
}

Duration WorkloadPlan::due(std::uint64_t index) const {
  if (index < poisson_due_.size()) return poisson_due_[index];
  return spec_.start + spec_.interval * std::int64_t(index);
}

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
