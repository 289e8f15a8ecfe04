#pragma once
// Skips that ctest can see. Boost.Test counts a skipped case as passed and
// exits 0, so tests/test_main.cc's main exits with kSkipExitCode when any
// case was skipped (by a failed precondition or by skip() below) and none
// failed; tests/CMakeLists.txt tells ctest that code means "skipped". Under
// CI=true as root, where every tool is installed, a skip fails the run.

#include <string>

namespace tether::testing {

inline constexpr int kSkipExitCode = 77;

// For a case that finds out only while running that it cannot check what
// it is for (a tool missing, no privilege): records the reason, which the
// executable reports at the end. The caller returns right after.
void skip(const std::string& reason);

}  // namespace tether::testing
