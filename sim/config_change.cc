// The change-config event: a user edits a node's wg0.conf and/or
// smtpd.conf and reloads. The reload itself is the node apps' (TunnelEndpoint
// and MailRelay::reconfigure); the world only reads the files, hands them
// over and keeps them as the node's files from now on, so a later
// stop-node/start-node boots from the edited config, as a VM would.

#include "sim/node_config_files.h"
#include "sim/world_builder.h"

namespace tether::sim {

Result<void> World::change_config(WorldNode& n, const EventSpec& e) {
  const std::string& name = n.spec->name;
  std::string changed;
  if (!e.tunnel.empty()) {
    auto config = load_tunnel_file(e.tunnel, "tunnel");
    if (!config.ok()) return config.error();
    if (n.tunnel) {
      if (auto r = n.tunnel->reconfigure(std::move(*config)); !r.ok())
        return Error(r.error().code, "tunnel: " + r.error().message);
    }
    n.tunnel_file = e.tunnel;
    n.keepalive_override.reset();
    changed = e.tunnel.filename().string();
  }
  if (!e.smtpd.empty()) {
    auto loaded = load_smtpd_file(e.smtpd, "smtpd");
    if (!loaded.ok()) return loaded.error();
    if (n.relay) {
      // The relay reads pki files below the root it was started with.
      if (loaded->root != config_root(n.smtpd_file))
        return Error(ErrorCode::invalid_argument, "smtpd: " + e.smtpd.string() + " is not below " +
                                                      config_root(n.smtpd_file).string() + ", the running config's root");
      if (auto r = n.relay->reconfigure(loaded->config); !r.ok())
        return Error(r.error().code, "smtpd: " + r.error().message);
    }
    n.smtpd_file = e.smtpd;
    changed += (changed.empty() ? "" : ", ") + e.smtpd.filename().string();
  }
  note("config-changed", name, changed);
  return {};
}

}  // namespace tether::sim
