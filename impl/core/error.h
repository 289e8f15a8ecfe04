#pragma once
// The error type shared by every layer, and Result<T>, a value-or-error
// (C++17 has no std::expected). Errors carry a code for callers that branch on
// the kind of failure and a message that names the problem for humans.

#include <cassert>
#include <iosfwd>
#include <string>
#include <utility>
#include <variant>

namespace tether {

enum class ErrorCode {
  invalid_argument,   // malformed input: config, address, duration, key, packet
  not_found,          // a file, name or entry that does not exist
  permission_denied,  // EPERM/EACCES, or a test that needs root without it
  io,                 // a local read/write/fsync failure
  connection_refused,
  connection_reset,
  timed_out,
  host_unreachable,
  address_in_use,
  closed,             // the peer closed, or the object was closed
  dns_nxdomain,       // the name does not exist (permanent)
  dns_no_data,        // the name exists but has no record of that type
  dns_temporary,      // SERVFAIL, timeout, unreachable server: try again later
  crypto,             // authentication failure, bad key, library failure
  unsupported,
  internal,
};

const char* to_string(ErrorCode code);
std::ostream& operator<<(std::ostream& os, ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;

  Error() = default;
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}

  // "invalid_argument: bad port in '1.2.3.4:x'"
  std::string to_string() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success, or an error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

inline Error make_error(ErrorCode code, std::string message) { return Error(code, std::move(message)); }

}  // namespace tether
