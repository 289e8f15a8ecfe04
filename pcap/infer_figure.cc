// A figure from its samples (median and spread), and infer() running each
// part over one timeline.

#include <algorithm>
#include <cmath>

#include "pcap/infer.h"

namespace tether::pcap {

namespace {

// Nearest rank (the smallest sample with at least q of them at or below
// it): a sample that was seen, never an interpolation between two.
double nearest_rank(const std::vector<double>& sorted, double q) {
  std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[rank == 0 ? 0 : rank - 1];
}

}  // namespace

Figure figure_of(std::vector<double> samples, const std::string& cannot_tell) {
  Figure f;
  f.samples = samples.size();
  if (samples.empty()) {
    f.note = cannot_tell;
    return f;
  }
  std::sort(samples.begin(), samples.end());
  f.min = samples.front();
  f.max = samples.back();
  f.p10 = nearest_rank(samples, 0.10);
  f.p90 = nearest_rank(samples, 0.90);
  // The median of an even count is the mean of the middle two.
  std::size_t n = samples.size();
  f.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  f.value = f.median;
  return f;
}

Inference infer(const Timeline& timeline, const InferOptions& options) {
  Inference out;
  out.events = timeline.events.size();
  if (!timeline.events.empty())
    out.span = (timeline.events.back().at - timeline.events.front().at).seconds_f();
  infer_wireguard(timeline, out);
  infer_nat(timeline, options, out);
  infer_smtp(timeline, out);
  return out;
}

}  // namespace tether::pcap
