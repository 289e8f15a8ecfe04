#pragma once
// Preconditions for cases that need what not every machine gives: Boost.Test
// skips the case with the message, and tests/test_main.cc reports the skip
// (exit code 77 for ctest; a failure under CI=true as root).

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <string>

namespace tether::testing {

inline boost::test_tools::assertion_result skip_unless(bool ok, const std::string& why) {
  boost::test_tools::assertion_result result(ok);
  result.message() << "SKIPPED: " << why;
  return result;
}

// Giving files to another user (chown) takes root.
inline boost::test_tools::assertion_result needs_root_to_chown(boost::unit_test::test_unit_id) {
  return skip_unless(::geteuid() == 0, "needs root to give files to another user");
}

}  // namespace tether::testing
