#include "sim/host_files.h"

namespace tether::sim {
namespace {

Error invalid(const std::string& field, const std::string& message) {
  return Error(ErrorCode::invalid_argument, field.empty() ? message : field + ": " + message);
}

}  // namespace

Result<tunnel::TunnelConfig> load_host_tunnel(const std::filesystem::path& file, const std::string& field,
                                              std::optional<std::uint16_t> keepalive) {
  node::TunnelFile loaded = node::load_tunnel_file(file.string(), file.filename().string());
  if (!loaded.ok()) return invalid(field, loaded.error_text());
  if (keepalive)
    for (auto& peer : loaded.config.peers) peer.persistent_keepalive = *keepalive;
  return std::move(loaded.config);
}

Result<node::RelayFile> load_host_relay(const std::filesystem::path& file, const std::string& field,
                                        std::optional<smtp::RelayProfile> profile) {
  node::RelayFile loaded = node::load_relay_file(file.string(), node::config_root(file), file.filename().string());
  if (!loaded.ok()) return invalid(field, loaded.error_text());
  if (profile) {
    auto config = std::make_shared<smtp::Config>(*loaded.config);
    config->knobs.profile = *profile;
    loaded.config = std::move(config);
  }
  return loaded;
}

}  // namespace tether::sim
