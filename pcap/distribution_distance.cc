#include "pcap/distribution_distance.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tether::pcap {
namespace {

// Walks the merged sorted values of two samples; at each distinct value x
// (ties in either sample taken together, so F(x) counts every value <= x)
// calls visit(x, count of a <= x, count of b <= x, the next distinct value).
template <typename Visit>
void walk_cdfs(std::vector<double>& a, std::vector<double>& b, Visit visit) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const double x = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.size() && a[i] == x) ++i;
    while (j < b.size() && b[j] == x) ++j;
    double next = x;
    if (i < a.size() || j < b.size()) next = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    visit(x, i, j, next);
  }
}

}  // namespace

std::optional<double> ks_statistic(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) return std::nullopt;
  const auto n = std::uint64_t(a.size()), m = std::uint64_t(b.size());
  // |i/n - j/m| = |i*m - j*n| / (n*m): compared in integers, divided once.
  std::uint64_t largest = 0;
  walk_cdfs(a, b, [&](double, std::size_t i, std::size_t j, double) {
    const std::uint64_t im = i * m, jn = j * n;
    largest = std::max(largest, im > jn ? im - jn : jn - im);
  });
  return double(largest) / double(n * m);
}

std::optional<double> wasserstein1(std::vector<double> a, std::vector<double> b) {
  if (a.empty() || b.empty()) return std::nullopt;
  const auto n = std::uint64_t(a.size()), m = std::uint64_t(b.size());
  // The integral of |F_a - F_b| over the steps between consecutive distinct
  // values (scipy's _cdf_distance with p = 1), each step's CDF gap kept as
  // the integer |i*m - j*n| until the end.
  long double area = 0;
  walk_cdfs(a, b, [&](double x, std::size_t i, std::size_t j, double next) {
    const std::uint64_t im = i * m, jn = j * n;
    area += (long double)(im > jn ? im - jn : jn - im) * ((long double)next - (long double)x);
  });
  return double(area / (long double)(n * m));
}

}  // namespace tether::pcap
