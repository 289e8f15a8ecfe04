#pragma once
// tetherd's running state: a PosixHost, the node apps on it, the control
// socket, and the signals that end it (and SIGHUP, which reloads). Construction order is start-up
// order; members are destroyed in reverse, so on SIGINT/SIGTERM the control
// socket goes first, then the relay (its queue stays on disk), then the
// tunnel (the interface is removed with its endpoint), then the host.

#include <map>
#include <memory>

#include <boost/asio/signal_set.hpp>

#include "daemon/control_server.h"
#include "daemon/tetherd_options.h"
#include "node/mail_relay.h"
#include "node/tunnel_endpoint.h"
#include "node/tunnel_relay_link.h"
#include "posix/posix_host.h"
#include "smtp/queue_listing.h"

namespace tether::daemon {

class Daemon {
 public:
  // Throws std::runtime_error when the state directory cannot be created.
  // `tunnel` is used with --tunnel, `relay` with --relay.
  Daemon(DaemonOptions options, node::TunnelFile tunnel, node::RelayFile relay);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Brings the tunnel up, then the relay (which may listen on the tunnel's
  // address), then opens the control socket.
  Result<void> start();
  // Serves until SIGINT or SIGTERM.
  void run();
  // Reads --tunnel and --relay again and applies them (config_reload.cc):
  // the tunnel as `wg syncconf`, the relay as a restart inside tetherd.
  // `tetherctl reload` and SIGHUP. A file with errors changes nothing; the
  // answer names every FILE:LINE.
  Result<std::string> reload();

 private:
  Result<void> start_relay();
  void register_tunnel_commands();
  void register_relay_commands();
  void register_reload_command();
  void wait_for_hangup();

  // One `monitor` client: its samples and its timer.
  struct MonitorStream {
    smtp::MonitorView view;
    std::unique_ptr<Timer> timer;
    std::shared_ptr<control::Reply> reply;
    bool ending = false;
  };
  void end_monitor(MonitorStream* stream);

  DaemonOptions options_;
  node::TunnelFile tunnel_file_;
  node::RelayFile relay_file_;
  posix::PosixHost host_;
  Logger log_;
  boost::asio::signal_set signals_;
  boost::asio::signal_set hangup_;  // SIGHUP: reload
  std::unique_ptr<node::TunnelEndpoint> tunnel_;
  std::unique_ptr<node::MailRelay> relay_;
  // A completed handshake makes the relay retry the mail routed into that
  // peer (node/tunnel_relay_link.h). Destroyed before the apps.
  std::unique_ptr<node::TunnelRelayLink> link_;
  std::unique_ptr<control::ControlServer> control_;
  std::map<MonitorStream*, std::unique_ptr<MonitorStream>> monitors_;
};

// tetherd after its options were parsed and its files checked: returns the
// process's exit code.
int run_daemon(const DaemonOptions& options, node::TunnelFile tunnel, node::RelayFile relay);

}  // namespace tether::daemon
