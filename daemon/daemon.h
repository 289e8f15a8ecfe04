#pragma once
// tetherd's running state: a PosixHost, the node apps on it, the control
// socket, and the signals that end it. Construction order is start-up
// order; members are destroyed in reverse, so on SIGINT/SIGTERM the control
// socket goes first, then the apps (the tunnel interface is removed with
// its endpoint), then the host.

#include <memory>

#include <boost/asio/signal_set.hpp>

#include "daemon/control_server.h"
#include "daemon/tetherd_options.h"
#include "node/tunnel_endpoint.h"
#include "posix/posix_host.h"

namespace tether::daemon {

class Daemon {
 public:
  // Throws std::runtime_error when the state directory cannot be created.
  Daemon(DaemonOptions options, TunnelFileCheck tunnel);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Brings the tunnel up and opens the control socket.
  Result<void> start();
  // Serves until SIGINT or SIGTERM.
  void run();

 private:
  void register_tunnel_commands();

  DaemonOptions options_;
  TunnelFileCheck tunnel_file_;
  posix::PosixHost host_;
  Logger log_;
  boost::asio::signal_set signals_;
  std::unique_ptr<node::TunnelEndpoint> tunnel_;
  // The MailRelay (`--relay smtpd.conf`, next) goes here: a node app on
  // host_ like the tunnel, built after it in start() (it listens on the
  // tunnel's address), destroyed before it, and registering its commands
  // ("show queue", "monitor", "pause smtp", "resume smtp", "schedule",
  // "remove") on control_.
  std::unique_ptr<control::ControlServer> control_;
};

// tetherd after its options were parsed and the tunnel file checked:
// returns the process's exit code.
int run_daemon(const DaemonOptions& options, TunnelFileCheck tunnel);

}  // namespace tether::daemon
