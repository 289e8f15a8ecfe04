#pragma once
// The deployment files a simulated node runs, read and parsed as tetherd
// reads them: a wg-quick tunnel config and an smtpd.conf, whose
// `file:/etc/...` tables are read below the directory above the config's
// etc/ (scenarios/<name>/<host>/). Used when the apps start and when a
// change-config event hands a node an edited file. Errors start with
// `field: ` (when not empty), then the config parser's file:line.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "smtp/config.h"
#include "tunnel/tunnel_config.h"

namespace tether::sim {

// `keepalive` overrides every [Peer]'s PersistentKeepalive (the scenario's
// hosts.NAME.persistent_keepalive sweep).
Result<tunnel::TunnelConfig> load_tunnel_file(const std::filesystem::path& file, const std::string& field,
                                              std::optional<std::uint16_t> keepalive = std::nullopt);

// The directory above the config's etc/:
// scenarios/<name>/<host>/etc/mail/smtpd.conf -> scenarios/<name>/<host>
std::filesystem::path config_root(const std::filesystem::path& file);

struct SmtpdFile {
  std::shared_ptr<const smtp::Config> config;
  std::filesystem::path root;  // MailRelayOptions::config_root
};
Result<SmtpdFile> load_smtpd_file(const std::filesystem::path& file, const std::string& field);

}  // namespace tether::sim
