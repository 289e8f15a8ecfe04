#pragma once
// A scenario host's deployment files as the world loads them
// (node/deployment_files.h, as tetherd does), named in errors by the
// scenario field that gave them: "hosts.relay.tunnel: wg0.conf:3: ...".
// Table files the smtpd.conf names (`file:/etc/mail/aliases`) are read below
// the host's config root: the directory above the config's `etc/`
// (scenarios/<name>/<host>/).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/error.h"
#include "node/deployment_files.h"

namespace tether::sim {

// `keepalive` overrides every [Peer]'s PersistentKeepalive (the scenario's
// hosts.NAME.persistent_keepalive sweep).
Result<tunnel::TunnelConfig> load_host_tunnel(const std::filesystem::path& file, const std::string& field,
                                              std::optional<std::uint16_t> keepalive = std::nullopt);
// `profile` (the scenario's hosts.NAME.profile) replaces the config's own
// `profile` line; knobs the config writes on their own still win.
Result<node::RelayFile> load_host_relay(const std::filesystem::path& file, const std::string& field,
                                        std::optional<smtp::RelayProfile> profile = std::nullopt);

}  // namespace tether::sim
