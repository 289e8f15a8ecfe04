#include "daemon/daemon.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>

#include "daemon/interface_addresses.h"
#include "node/relay_control.h"
#include "node/tunnel_show.h"
#include "posix/system_user_database.h"

namespace tether::daemon {
namespace {

posix::PosixHostOptions host_options(const DaemonOptions& options) {
  posix::PosixHostOptions o;
  o.storage_root = options.state_dir;
  o.log_threshold = options.log_level;
  return o;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

Daemon::Daemon(DaemonOptions options, node::TunnelFile tunnel, node::RelayFile relay)
    : options_(std::move(options)),
      tunnel_file_(std::move(tunnel)),
      relay_file_(std::move(relay)),
      host_(host_options(options_)),
      log_(host_.logger().child("tetherd")),
      signals_(host_.io_context(), SIGINT, SIGTERM),
      hangup_(host_.io_context(), SIGHUP) {}

Daemon::~Daemon() {
  monitors_.clear();
  control_.reset();
  link_.reset();
  relay_.reset();
  tunnel_.reset();
}

Result<void> Daemon::start() {
  if (!options_.tunnel_file.empty()) {
    node::TunnelEndpointOptions tunnel_options;
    tunnel_options.interface_name = *tunnel_file_.interface_name;  // checked by check_tunnel_file
    if (options_.key_log) tunnel_options.key_log_file = *options_.key_log;
    tunnel_ = std::make_unique<node::TunnelEndpoint>(host_, tunnel_file_.config, tunnel_options);
    if (auto r = tunnel_->start(); !r) return r;
  }
  if (!options_.relay_file.empty())
    if (auto r = start_relay(); !r) return r;

  control_ = std::make_unique<control::ControlServer>(host_.io_context(), host_.logger().child("control"));
  if (tunnel_) register_tunnel_commands();
  if (relay_) register_relay_commands();
  register_reload_command();
  if (auto r = control_->listen(options_.control_path); !r) return r;
  return {};
}

Result<void> Daemon::start_relay() {
  node::MailRelayOptions o;
  o.config_root = options_.config_root;
  // After the tunnel: its interface and address exist by now.
  o.interface_addresses = system_interface_addresses();
  o.users = std::make_shared<posix::SystemUserDatabase>();
  o.mbox_spool = "/var/mail";
  // As OpenSMTPD's mda runs as the user: a user's mail must be theirs to read.
  o.give_files_to_recipient = ::geteuid() == 0;
  // A dead server costs a connection slot for this long, not Linux's 131 s.
  o.connect_timeout = Duration::seconds(30);
  relay_ = std::make_unique<node::MailRelay>(host_, relay_file_.config, o);
  if (auto r = relay_->start(); !r) return Error(r.error().code, options_.relay_file + ": " + r.error().message);
  if (tunnel_)
    link_ = std::make_unique<node::TunnelRelayLink>(host_, *tunnel_, *relay_, std::make_unique<node::RouteReturnedPolicy>(),
                                                    [this](std::size_t due) {
                                                      // Every time (the simulation's "route-up" row;
                                                      // the lab reads it back), at info when mail is due.
                                                      log_.log(due ? LogLevel::info : LogLevel::debug,
                                                               "tunnel route back: " + std::to_string(due) +
                                                                   " deferred envelopes due now");
                                                    });
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

void Daemon::register_relay_commands() {
  // Each command's words go to the relay as they were typed.
  auto forward = [this](const control::Request& request, const std::shared_ptr<control::Reply>& reply) {
    node::ControlAnswer answer = node::run_relay_command(*relay_, request.words);
    if (answer.ok) {
      reply->write(answer.text);
      reply->finish();
    } else {
      reply->fail(answer.text);
    }
    log_.info("control: " + join(request.words) + (answer.ok ? "" : " (failed)"));
  };
  for (const auto& [command, help] : node::relay_commands()) {
    if (command == "monitor") continue;
    control_->register_command(command, help, forward);
  }

  // monitor: a sample a second until the client hangs up (smtpctl monitor).
  control_->register_command(
      "monitor", "relay activity once a second, as smtpctl monitor (until interrupted)",
      [this](const control::Request& request, const std::shared_ptr<control::Reply>& reply) {
        if (!request.args.empty()) {
          reply->fail("usage: monitor");
          return;
        }
        auto stream = std::make_unique<MonitorStream>();
        MonitorStream* raw = stream.get();
        raw->reply = reply;
        raw->timer = host_.create_timer([this, raw] {
          if (!relay_ || !raw->reply->open()) {
            end_monitor(raw);
            return;
          }
          raw->reply->write(node::monitor_sample(raw->view, *relay_));
          raw->timer->arm_at(host_.now() + Duration::seconds(1));
        });
        reply->on_close([this, raw] { end_monitor(raw); });
        monitors_.emplace(raw, std::move(stream));
        reply->write(node::monitor_sample(raw->view, *relay_));
        raw->timer->arm_at(host_.now() + Duration::seconds(1));
      });
}

void Daemon::end_monitor(MonitorStream* stream) {
  auto it = monitors_.find(stream);
  if (it == monitors_.end() || stream->ending) return;
  stream->ending = true;
  stream->timer->cancel();
  // Later, not from inside the stream's own timer or its reply's callback.
  host_.post([this, stream] {
    auto found = monitors_.find(stream);
    if (found == monitors_.end()) return;
    found->second->reply->on_close(nullptr);
    monitors_.erase(found);
  });
}

void Daemon::run() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log_.info(std::string("received ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") + ", shutting down");
    hangup_.cancel();
    host_.stop();
  });
  wait_for_hangup();
  std::string what;
  if (tunnel_) what += "interface " + tunnel_->interface_name();
  if (relay_) {
    std::string endpoints;
    for (const Endpoint& e : relay_->listening_endpoints()) endpoints += (endpoints.empty() ? "" : " ") + e.to_string();
    what += std::string(what.empty() ? "" : ", ") + "relay on " + (endpoints.empty() ? "nothing" : endpoints);
  }
  log_.info("ready: " + what + ", control socket " + options_.control_path.string());
  host_.run();
}

int run_daemon(const DaemonOptions& options, node::TunnelFile tunnel, node::RelayFile relay) {
  std::unique_ptr<Daemon> daemon;
  try {
    daemon = std::make_unique<Daemon>(options, std::move(tunnel), std::move(relay));
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
