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
#include "node/deployment_files.h"

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

// The tunnel file as tetherd takes it (node/deployment_files.h), and
// tetherd's own rule on top: the interface is named after the file, as
// wg-quick names it, so the name must be a valid interface name.
node::TunnelFile check_tunnel_file(const std::string& path);

}  // namespace tether::daemon
