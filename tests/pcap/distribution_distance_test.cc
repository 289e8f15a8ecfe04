// The KS statistic and the Wasserstein-1 distance of two samples: values
// worked out by hand (the CDF steps are written next to each), then random
// samples (with ties) against scipy.stats, whose ks_2samp and
// wasserstein_distance compute the same two quantities exactly.

#include "pcap/distribution_distance.h"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>

#include "support/preconditions.h"
#include "support/run_process.h"

namespace tether::pcap {
namespace {

using tether::testing::run_process;

boost::test_tools::assertion_result needs_scipy(boost::unit_test::test_unit_id) {
  return tether::testing::skip_unless(
      run_process({"/usr/bin/python3", "-c", "import scipy.stats"}).exit_code == 0,
      "needs Debian's python3-scipy (/usr/bin/python3)");
}

BOOST_AUTO_TEST_SUITE(distribution_distance)

BOOST_AUTO_TEST_CASE(hand_computed_values) {
  // a = {1,2,3}, b = {2,4}. F_a - F_b on [1,2): 1/3 - 0; [2,3): 2/3 - 1/2;
  // [3,4): 1 - 1/2; from 4: 0. KS = 1/2; W1 = 1/3 + 1/6 + 1/2 = 1.
  BOOST_TEST(*ks_statistic({1, 2, 3}, {2, 4}) == 0.5, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(*wasserstein1({1, 2, 3}, {2, 4}) == 1.0, boost::test_tools::tolerance(1e-15));
  // Ties taken together: a = {1,1,2}, b = {1,2,2}. At 1: 2/3 vs 1/3; at 2: 1 vs 1.
  BOOST_TEST(*ks_statistic({1, 1, 2}, {1, 2, 2}) == 1.0 / 3, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(*wasserstein1({1, 1, 2}, {1, 2, 2}) == 1.0 / 3, boost::test_tools::tolerance(1e-15));
  // Two near-constants apart: KS says "all apart", W1 says by how much.
  BOOST_TEST(*ks_statistic({10, 10, 10}, {10.5}) == 1.0);
  BOOST_TEST(*wasserstein1({10, 10, 10}, {10.5}) == 0.5, boost::test_tools::tolerance(1e-15));
  // Keepalives every 25 s against every 10 s: W1 is the 15 s between them.
  BOOST_TEST(*wasserstein1({25, 25, 25, 25}, {10, 10, 10, 10, 10, 10, 10, 10, 10, 10}) == 15.0,
             boost::test_tools::tolerance(1e-15));
  // Order does not matter; equal samples are 0 apart.
  BOOST_TEST(*ks_statistic({3, 1, 2}, {2, 3, 1}) == 0.0);
  BOOST_TEST(*wasserstein1({3, 1, 2}, {2, 3, 1}) == 0.0);
  // A shift moves W1 by the shift.
  BOOST_TEST(*wasserstein1({0, 1, 5}, {2, 3, 7}) == 2.0, boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(an_empty_sample_has_no_distance) {
  BOOST_TEST(!ks_statistic({}, {1.0}));
  BOOST_TEST(!wasserstein1({1.0}, {}));
  BOOST_TEST(!wasserstein1({}, {}));
}

BOOST_AUTO_TEST_CASE(random_samples_give_what_scipy_gives, *boost::unit_test::precondition(needs_scipy)) {
  std::mt19937_64 random(11);
  std::ostringstream script, expected_ours;
  script.precision(17);
  script << "import scipy.stats\nsamples = [\n";
  std::vector<std::pair<double, double>> ours;
  for (int round = 0; round < 40; ++round) {
    std::vector<double> a(1 + random() % 60), b(1 + random() % 60);
    const bool ties = round % 2 == 0;  // every other round on a coarse grid, so values repeat
    std::exponential_distribution<double> interval(0.1);
    std::normal_distribution<double> offset(round % 5, 1.5);
    for (double& x : a) x = ties ? std::round(interval(random)) : interval(random);
    for (double& x : b)
      x = ties ? std::round(interval(random) + offset(random)) : interval(random) + offset(random);
    script << "  ([";
    for (double x : a) script << x << ",";
    script << "], [";
    for (double x : b) script << x << ",";
    script << "]),\n";
    ours.emplace_back(*ks_statistic(a, b), *wasserstein1(a, b));
  }
  script << "]\nfor a, b in samples:\n"
            "  print(repr(scipy.stats.ks_2samp(a, b).statistic), repr(scipy.stats.wasserstein_distance(a, "
            "b)))\n";
  auto r = run_process({"/usr/bin/python3", "-c", script.str()});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  std::istringstream lines(r.out);
  for (std::size_t i = 0; i < ours.size(); ++i) {
    double ks = -1, w1 = -1;
    lines >> ks >> w1;
    BOOST_TEST_CONTEXT("sample pair " << i) {
      BOOST_TEST(ours[i].first == ks, boost::test_tools::tolerance(1e-12));
      BOOST_TEST(ours[i].second == w1, boost::test_tools::tolerance(1e-9));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
