#pragma once
// A value or a reason code: what the handshake and transport steps return.
// Unlike Result<T> there is no message string to build, so a flood of
// forged packets costs no allocation for its refusals; the codes feed the
// "packet dropped (reason)" events and counters.

#include <utility>
#include <variant>

namespace tether::tunnel {

template <typename T, typename E>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Outcome(E error) : state_(std::in_place_index<1>, error) {}             // NOLINT
  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  E error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

template <typename E>
class [[nodiscard]] Outcome<void, E> {
 public:
  Outcome() = default;
  Outcome(E error) : error_(error), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  E error() const { return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace tether::tunnel
