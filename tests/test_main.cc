// The one Boost.Test main shared by every test executable. It runs the
// tests as Boost's own main would, then turns skips into an exit code ctest
// reports as "skipped" (support/test_skip.h), or into a failure in CI.
#define BOOST_TEST_MODULE tether
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>
#include <boost/test/tree/observer.hpp>

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "support/test_skip.h"

namespace {

std::vector<std::string>& skips() {
  static std::vector<std::string> reasons;
  return reasons;
}

std::string current_test_name() {
  namespace ut = boost::unit_test;
  return ut::framework::get<ut::test_case>(ut::framework::current_test_case_id()).full_name();
}

// Boost tells its observers about every unit whose precondition failed;
// "disabled" is a unit left out by --run_test, which is not a skip.
class SkipObserver : public boost::unit_test::test_observer {
 public:
  // Last of all observers. At priority 0 it could come before Boost's own
  // init observer, whose failure flag Boost reads after each observer's
  // test_start and which is only cleared by its own test_start: the run
  // would then stop with an empty "Test setup error".
  int priority() override { return 100; }
  void test_unit_skipped(const boost::unit_test::test_unit& unit, boost::unit_test::const_string reason) override {
    const std::string why(reason.begin(), reason.end());
    if (why == "disabled") return;
    skips().push_back(unit.full_name() + ": " + why);
  }
};

SkipObserver skip_observer;

bool init_with_skip_observer() {
  boost::unit_test::framework::register_observer(skip_observer);
  return init_unit_test();
}

bool ci_as_root() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true" && ::geteuid() == 0;
}

}  // namespace

namespace tether::testing {

void skip(const std::string& reason) {
  skips().push_back(current_test_name() + ": " + reason);
  BOOST_TEST_MESSAGE("SKIPPED: " << reason);
}

}  // namespace tether::testing

int main(int argc, char* argv[]) {
  const int result = boost::unit_test::unit_test_main(&init_with_skip_observer, argc, argv);
  if (result != 0 || skips().empty()) return result;
  std::cerr << skips().size() << " test unit(s) skipped:\n";
  for (const auto& s : skips()) std::cerr << "  " << s << "\n";
  if (ci_as_root()) {
    std::cerr << "CI=true as root: every tool is installed there, so a skip is a failure\n";
    return EXIT_FAILURE;
  }
  return tether::testing::kSkipExitCode;
}
