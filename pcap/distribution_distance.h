#pragma once
// How far apart two samples are, computed exactly on their empirical
// distributions (no binning, no interpolation), for `tether-pcap compare`'s
// interval distributions (keepalive intervals, initiation spacing, ...):
//
//  - the two-sample Kolmogorov-Smirnov statistic, the largest gap between
//    the two empirical CDFs (scipy.stats.ks_2samp's statistic): 0 for equal
//    samples, 1 when every value of one lies below every value of the
//    other. Scale-free, so it says "shaped differently" but not by how much:
//    two near-constant samples 1 ms apart are 1 apart.
//  - the Wasserstein-1 (earth mover's) distance, the area between the two
//    CDFs (scipy.stats.wasserstein_distance): in the samples' unit, how far
//    the mass of one has to move to become the other; for two constants,
//    the difference between them.
//
// Both are empty (nullopt) when either sample is, and neither looks at NaN
// (the caller's samples are interval lengths, never NaN).

#include <optional>
#include <vector>

namespace tether::pcap {

std::optional<double> ks_statistic(std::vector<double> a, std::vector<double> b);
std::optional<double> wasserstein1(std::vector<double> a, std::vector<double> b);

}  // namespace tether::pcap
