#include "smtp/posix_regex.h"

#include <regex.h>

namespace tether::smtp {

struct PosixRegex::Compiled {
  regex_t re{};
  ~Compiled() { regfree(&re); }
};

Result<PosixRegex> PosixRegex::compile(std::string_view pattern) {
  std::string text(pattern);
  if (text.size() > kMaxLength)
    return Error(ErrorCode::invalid_argument,
                 "regular expression longer than " + std::to_string(kMaxLength) + " characters");
  if (text.find('\0') != std::string::npos)
    return Error(ErrorCode::invalid_argument, "NUL byte in regular expression");
  int flags = REG_EXTENDED | REG_NOSUB;
  std::string body = text;
  if (body.compare(0, 4, "(?i)") == 0) {
    flags |= REG_ICASE;
    body.erase(0, 4);
  }
  auto compiled = std::make_shared<Compiled>();
  int rc = regcomp(&compiled->re, body.c_str(), flags);
  if (rc != 0) {
    char buf[256];
    regerror(rc, &compiled->re, buf, sizeof buf);
    // regcomp leaves nothing to free on failure, but the destructor would call
    // regfree on it: hand it a freshly compiled trivial pattern instead.
    regcomp(&compiled->re, "", REG_EXTENDED | REG_NOSUB);
    return Error(ErrorCode::invalid_argument, "invalid regular expression '" + text + "': " + buf);
  }
  return PosixRegex(std::move(text), std::move(compiled));
}

bool PosixRegex::search(std::string_view text) const {
  std::string s(text);  // regexec needs a NUL-terminated string
  if (s.find('\0') != std::string::npos) return false;
  return regexec(&compiled_->re, s.c_str(), 0, nullptr, 0) == 0;
}

}  // namespace tether::smtp
