#pragma once
// A compiled POSIX extended regular expression: the dialect OpenSMTPD's
// `regex` tables use (regcomp with REG_EXTENDED|REG_NOSUB, unanchored search,
// a leading "(?i)" meaning case-insensitive). libc's engine rather than
// std::regex because it is the same engine, so a pattern means here what it
// meant to the OpenSMTPD the config was written for.

#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace tether::smtp {

class PosixRegex {
 public:
  static constexpr std::size_t kMaxLength = 1024;

  // Errors carry regerror()'s text. Patterns longer than kMaxLength are
  // refused: glibc's regcomp recurses per nesting level.
  static Result<PosixRegex> compile(std::string_view pattern);

  bool search(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  PosixRegex(std::string pattern, std::shared_ptr<const Compiled> compiled)
      : pattern_(std::move(pattern)), compiled_(std::move(compiled)) {}
  std::string pattern_;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace tether::smtp
