// The node apps of the scenario world: each host's TunnelEndpoint and
// MailRelay started from its deployment files (and the link between them,
// as tetherd makes it), stopped with a stop-node, and reconfigured by a
// change-config event.
//
// change-config: a user edits a node's wg0.conf and/or smtpd.conf and
// reloads. The reload itself is the node apps' (TunnelEndpoint
// and MailRelay::reconfigure); the world only reads the files, hands them
// over and keeps them as the node's files from now on, so a later
// stop-node/start-node boots from the edited config, as a VM would.

#include "sim/host_files.h"
#include "sim/scenario_world.h"

namespace tether::sim {

Result<void> ScenarioWorld::start_apps(WorldNode& n) {
  const HostSpec& spec = *n.spec;
  node::MailRelayOptions relay_options;
  relay_options.interface_addresses["egress"] = n.egress;
  if (!n.tunnel_file.empty()) {
    auto config = load_host_tunnel(n.tunnel_file, "hosts." + spec.name + ".tunnel", n.keepalive_override);
    if (!config.ok()) return config.error();
    std::vector<IpAddress> inner;
    for (const IpPrefix& p : config->interface.addresses) inner.push_back(p.address());
    relay_options.interface_addresses[spec.interface_name] = inner;
    node::TunnelEndpointOptions options;
    options.interface_name = spec.interface_name;
    options.timer_profile =
        spec.os == HostOs::openbsd ? &tunnel::TimerProfile::openbsd() : &tunnel::TimerProfile::linux_kernel();
    // With captures on, each tunnel writes a Wireshark key log beside them
    // (tshark -o wg.keylog_file:F decrypts the tunnel in the pcaps).
    if (!options_.pcap_dir.empty())
      options.key_log_file = std::filesystem::absolute(options_.pcap_dir / (spec.name + "-wg-keys.log"));
    n.tunnel = std::make_unique<node::TunnelEndpoint>(*n.host, std::move(*config), options);
    WorldNode* self = &n;
    n.tunnel->subscribe([this, self](const tunnel::Event& e) {
      if (options_.hooks.tunnel_event) options_.hooks.tunnel_event(*self, e);
    });
    if (auto r = n.tunnel->start(); !r.ok())
      return Error(ErrorCode::internal, "hosts." + spec.name + ": tunnel: " + r.error().to_string());
  }
  if (!n.smtpd_file.empty()) {
    auto loaded = load_host_relay(n.smtpd_file, "hosts." + spec.name + ".smtpd", spec.profile);
    if (!loaded.ok()) return loaded.error();
    relay_options.config_root = loaded->root;
    n.relay = std::make_unique<node::MailRelay>(*n.host, loaded->config, relay_options);
    n.relay_profile = loaded->config->knobs.profile.value_or(smtp::RelayProfile::tether);
    WorldNode* self = &n;
    n.relay->subscribe([this, self](const node::MailRelayEvent& e) {
      if (options_.hooks.relay_event) options_.hooks.relay_event(*self, e);
    });
    if (auto r = n.relay->start(); !r.ok())
      return Error(ErrorCode::internal, "hosts." + spec.name + ": smtpd: " + r.error().to_string());
  }
  if (n.tunnel && n.relay) {
    // A "route-up" row in events.csv each time the tunnel's route coming
    // back retried the relay's deferred mail (and how many were due).
    const std::string name = spec.name;
    n.route_link = std::make_unique<node::TunnelRelayLink>(
        *n.host, *n.tunnel, *n.relay, std::make_unique<node::RouteReturnedPolicy>(),
        [this, name](std::size_t due) { note("route-up", name, std::to_string(due) + " due"); });
  }
  return {};
}

void ScenarioWorld::stop_apps(WorldNode& n) {
  n.route_link.reset();
  if (n.relay) {
    const auto& c = n.relay->counters();
    n.relay_before_stop.messages_accepted += c.messages_accepted;
    n.relay_before_stop.attempts += c.attempts;
    n.relay_before_stop.delivered += c.delivered;
    n.relay_before_stop.temporary_failures += c.temporary_failures;
    n.relay_before_stop.permanent_failures += c.permanent_failures;
    n.relay->stop();
    n.relay.reset();
  }
  if (n.tunnel) {
    for (const auto& p : n.tunnel->status().peers) n.keepalives_before_stop += p.stats.keepalives_sent;
    n.tunnel->stop();
    n.tunnel.reset();
  }
}

Result<void> ScenarioWorld::change_config(WorldNode& n, const EventSpec& e) {
  const std::string& name = n.spec->name;
  std::string changed;
  if (!e.tunnel.empty()) {
    auto config = load_host_tunnel(e.tunnel, "tunnel");
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
    auto loaded = load_host_relay(e.smtpd, "smtpd", n.spec->profile);
    if (!loaded.ok()) return loaded.error();
    if (n.relay) {
      // The relay reads pki files below the root it was started with.
      if (loaded->root != node::config_root(n.smtpd_file))
        return Error(ErrorCode::invalid_argument, "smtpd: " + e.smtpd.string() + " is not below " +
                                                      node::config_root(n.smtpd_file).string() + ", the running config's root");
      if (auto r = n.relay->reconfigure(loaded->config); !r.ok())
        return Error(r.error().code, "smtpd: " + r.error().message);
    }
    n.smtpd_file = e.smtpd;
    n.relay_profile = loaded->config->knobs.profile.value_or(smtp::RelayProfile::tether);
    changed += (changed.empty() ? "" : ", ") + e.smtpd.filename().string();
  }
  note("config-changed", name, changed);
  return {};
}

}  // namespace tether::sim
