#pragma once
// tetherd's command line, and the checks `tetherd -n` runs on a tunnel file
// (the same ones the daemon runs before it touches the network).

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/logger.h"
#include "smtp/config.h"
#include "tunnel/tunnel_config.h"

namespace tether::daemon {

struct DaemonOptions {
  std::string tunnel_file;  // --tunnel FILE.conf; the interface is named after it
  std::string relay_file;   // --relay smtpd.conf: the MailRelay's configuration
  std::filesystem::path control_path = "/run/tether/tetherd.sock";
  std::filesystem::path state_dir = "/var/lib/tether";
  LogLevel log_level = LogLevel::info;
  std::optional<std::filesystem::path> key_log;  // absolute once parsed
  bool check_only = false;                       // -n
  bool help = false;
  // --config-root DIR: the files smtpd.conf names (tables, includes, pki
  // certificates and keys, cas) are read below DIR, "/etc/mail/secrets" as
  // DIR/etc/mail/secrets. Empty: as written.
  std::filesystem::path config_root;
};

std::string usage();

// Errors name the offending argument.
Result<DaemonOptions> parse_options(const std::vector<std::string>& args);

// wg-quick's rule: FILE must be .../NAME.conf with NAME a valid interface
// name (1-15 characters of [a-zA-Z0-9_=+.-]); nullopt otherwise.
std::optional<std::string> interface_name_from_path(const std::string& path);

struct TunnelFileCheck {
  std::string interface_name;
  tunnel::TunnelConfig config;
  std::vector<std::string> errors;    // "FILE:LINE: message"
  std::vector<std::string> warnings;  // "FILE:LINE: warning: message"
  bool ok() const { return errors.empty(); }
};

struct RelayFileCheck {
  std::shared_ptr<const smtp::Config> config;  // set when ok()
  std::vector<std::string> errors;             // "FILE:LINE: message"
  bool ok() const { return errors.empty(); }
};

// Reads and parses an smtpd.conf, its tables and includes read below
// `root` (see DaemonOptions::config_root). Every error, with its line.
RelayFileCheck check_relay_file(const std::string& path, const std::filesystem::path& root);

// Loads and checks `path`: readable, a valid interface name, parses
// (every error, with its line), has a PrivateKey, and the file's mode
// keeps the key private (a warning).
TunnelFileCheck check_tunnel_file(const std::string& path);

}  // namespace tether::daemon
