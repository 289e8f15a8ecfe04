#pragma once
// Turns OpenSSL's thread-local error queue into tether errors.
//
// OpenSSL reports why a call failed on a per-thread queue rather than in the
// return value. Draining it right where the failure happens keeps a stale
// entry from being blamed on a later, unrelated call.

#include <string>
#include <string_view>

#include "core/error.h"

namespace tether::crypto {

// Empties the queue and returns its entries joined by "; " (oldest first),
// or "no OpenSSL error recorded" when it was empty.
std::string drain_openssl_errors();

// ErrorCode::crypto with "<what>: <drained queue>".
Error openssl_error(std::string_view what);

// For calls that fail only on allocation failure or a broken OpenSSL
// install (hashing, key setup): such a failure is not something callers can
// handle, so it is an exception (std::runtime_error) rather than a Result.
[[noreturn]] void throw_openssl_failure(std::string_view what);

}  // namespace tether::crypto
