#pragma once
// Boost.Test builds an assertion's message even when the assertion holds, so
// `BOOST_REQUIRE_MESSAGE(r.ok(), r.error().to_string())` would call error()
// on a success. This renders either outcome safely.

#include <string>

#include "core/error.h"

namespace tether::testing {

template <typename T>
std::string result_text(const Result<T>& r) {
  return r.ok() ? std::string("ok") : r.error().to_string();
}

}  // namespace tether::testing
