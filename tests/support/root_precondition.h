#pragma once
// Tests that create namespaces or TUN devices declare
// `*boost::unit_test::precondition(tether::testing::needs_root)`, so that
// without root Boost.Test reports them as skipped with the reason, and
// `* boost::unit_test::label("root")` in an executable registered with
// ROOT_CASES (tests/CMakeLists.txt), so that ctest runs them apart.

#include <boost/test/unit_test.hpp>

#include "support/network_namespace.h"

namespace tether::testing {

inline boost::test_tools::assertion_result needs_root(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result result(running_as_root());
  result.message() << "SKIPPED: needs root (CAP_NET_ADMIN) for a network namespace and TUN device";
  return result;
}

}  // namespace tether::testing
