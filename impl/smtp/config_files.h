#pragma once
// The file-system side of config loading, kept apart from the sans-IO parser:
// loaders that read the files a config names (`file:` tables, `include`).

#include <string>

#include "core/error.h"
#include "smtp/config_parser.h"

namespace tether::smtp {

// Reads the whole file. Errors: not_found, permission_denied, io, and
// invalid_argument for a directory or a NUL byte ("PATH:LINE: NUL byte ...").
Result<std::string> read_text_file(const std::string& path);

// Reads paths as they are written in the config (the daemon's default).
ConfigFileLoader real_file_loader();

// Reads every path below `root`: "/etc/mail/aliases" becomes
// ROOT/etc/mail/aliases. Gives each node of a simulated world, or each test,
// its own /etc/mail without touching the machine's.
ConfigFileLoader rooted_file_loader(std::string root);

// Reads and parses the config at `path` with real_file_loader().
ConfigParseResult parse_config_file(const std::string& path, const ConfigParseOptions& options = {});

}  // namespace tether::smtp
