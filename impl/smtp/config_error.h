#pragma once
// Where something was written in a config (or table) file, and an error found
// there. Errors print as compilers print them, "FILE:LINE: message", so that
// editors and people can jump to the line.

#include <string>
#include <vector>

namespace tether::smtp {

struct SourceLocation {
  std::string file;
  int line = 0;

  // "smtpd.conf:12"
  std::string to_string() const { return file + ":" + std::to_string(line); }
};

struct ConfigError {
  SourceLocation where;
  std::string message;

  // "smtpd.conf:12: unknown keyword 'relya' (...)"
  std::string to_string() const { return where.to_string() + ": " + message; }
};

// One error per line, in the order given.
inline std::string join_errors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& e : errors) {
    if (!out.empty()) out += '\n';
    out += e.to_string();
  }
  return out;
}

}  // namespace tether::smtp
