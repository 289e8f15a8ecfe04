#pragma once
// smtpd.conf(5) text -> Config. Every error in the file is reported, not just
// the first: each as "FILE:LINE: message" naming the offending token, e.g.
//   smtpd.conf:12: unknown keyword 'relya' in action (expected mbox, maildir, ...)
//   smtpd.conf:7: table 'aliases' is not defined
//   smtpd.conf:9: action 'relay_in' used but never defined
// Unknown keywords are errors; nothing is silently ignored. Keywords of
// OpenSMTPD that tether does not implement (proc filters, mda, queue
// encryption, ...) are errors that say so.
//
// Sans-IO: the parser reads files named in the config (`file:` tables,
// `include`) only through the loader it is given, so tests and the ns-3 world
// supply their own. config_files.h has the loader that reads real files.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "smtp/config.h"
#include "smtp/config_error.h"

namespace tether::smtp {

// Returns the content of the file at `path` (as written in the config).
using ConfigFileLoader = std::function<Result<std::string>(const std::string& path)>;

struct ConfigParseOptions {
  // Macros defined before the first line, as `smtpd -D name=value` does.
  std::map<std::string, std::string> macros;
  // Stop collecting after this many errors (a binary file would give one per line).
  std::size_t max_errors = 100;
};

struct ConfigParseResult {
  Config config;  // complete only when ok()
  std::vector<ConfigError> errors;

  bool ok() const { return errors.empty(); }
  std::string error_text() const { return join_errors(errors); }
};

// `file_name` is what errors call the text ("smtpd.conf", "/etc/mail/smtpd.conf").
// Without a loader, `file:` tables and `include` are errors.
ConfigParseResult parse_config(std::string_view text, const std::string& file_name,
                               const ConfigFileLoader& loader = {}, const ConfigParseOptions& options = {});

// The same, with all errors joined into one (ErrorCode::invalid_argument).
Result<Config> load_config(std::string_view text, const std::string& file_name,
                           const ConfigFileLoader& loader = {}, const ConfigParseOptions& options = {});

}  // namespace tether::smtp
