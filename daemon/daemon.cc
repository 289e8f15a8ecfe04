#include "daemon/daemon.h"

#include <csignal>
#include <cstdio>
#include <iostream>

#include "node/tunnel_show.h"

namespace tether::daemon {
namespace {

posix::PosixHostOptions host_options(const DaemonOptions& options) {
  posix::PosixHostOptions o;
  o.storage_root = options.state_dir;
  o.log_threshold = options.log_level;
  return o;
}

}  // namespace

Daemon::Daemon(DaemonOptions options, TunnelFileCheck tunnel)
    : options_(std::move(options)),
      tunnel_file_(std::move(tunnel)),
      host_(host_options(options_)),
      log_(host_.logger().child("tetherd")),
      signals_(host_.io_context(), SIGINT, SIGTERM) {}

Daemon::~Daemon() {
  control_.reset();
  tunnel_.reset();
}

Result<void> Daemon::start() {
  node::TunnelEndpointOptions tunnel_options;
  tunnel_options.interface_name = tunnel_file_.interface_name;
  if (options_.key_log) tunnel_options.key_log_file = *options_.key_log;
  tunnel_ = std::make_unique<node::TunnelEndpoint>(host_, tunnel_file_.config, tunnel_options);
  if (auto r = tunnel_->start(); !r) return r;

  // (next) the MailRelay starts here, on the tunnel's address.

  control_ = std::make_unique<control::ControlServer>(host_.io_context(), host_.logger().child("control"));
  register_tunnel_commands();
  if (auto r = control_->listen(options_.control_path); !r) return r;
  return {};
}

void Daemon::register_tunnel_commands() {
  control_->register_command("show tunnel", "the tunnel's interface and peers, as wg show prints them",
                             [this](const control::Request& request, const std::shared_ptr<control::Reply>& reply) {
                               if (!request.args.empty()) {
                                 reply->fail("usage: show tunnel");
                                 return;
                               }
                               reply->write(node::format_wg_show(tunnel_->status()));
                               reply->finish();
                             });
}

void Daemon::run() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log_.info(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
    host_.stop();
  });
  log_.info("ready: interface " + tunnel_->interface_name() + ", control socket " + options_.control_path.string());
  host_.run();
}

int run_daemon(const DaemonOptions& options, TunnelFileCheck tunnel) {
  std::unique_ptr<Daemon> daemon;
  try {
    daemon = std::make_unique<Daemon>(options, std::move(tunnel));
  } catch (const std::exception& e) {
    std::cerr << "tetherd: " << e.what() << "\n";
    return 1;
  }
  if (auto started = daemon->start(); !started) {
    std::cerr << "tetherd: " << started.error().message << "\n";
    return 1;  // the destructor undoes what start() did
  }
  daemon->run();
  daemon.reset();
  std::cerr << "tetherd: stopped\n";
  return 0;
}

}  // namespace tether::daemon
