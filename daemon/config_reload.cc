// tetherd's reload: the files it was started with, read again and handed to
// the node apps (TunnelEndpoint::reconfigure, MailRelay::reconfigure), as
// `wg syncconf wg0 <(wg-quick strip wg0)` and a restart of smtpd would.
// Both files are checked before either is applied, so an edit with an error
// in one of them changes nothing.

#include <csignal>

#include "daemon/daemon.h"

namespace tether::daemon {

namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

}  // namespace

Result<std::string> Daemon::reload() {
  std::optional<node::TunnelFile> tunnel;
  std::optional<node::RelayFile> relay;
  std::vector<std::string> errors;
  if (tunnel_) {
    tunnel = check_tunnel_file(options_.tunnel_file);
    errors.insert(errors.end(), tunnel->errors.begin(), tunnel->errors.end());
    if (tunnel->ok() && *tunnel->interface_name != tunnel_->interface_name())
      errors.push_back(options_.tunnel_file + ": the interface would be " + *tunnel->interface_name + ", not " +
                       tunnel_->interface_name() + ": restart tetherd for that");
  }
  if (relay_) {
    relay = node::load_relay_file(options_.relay_file, options_.config_root);
    errors.insert(errors.end(), relay->errors.begin(), relay->errors.end());
  }
  if (!errors.empty()) return Error(ErrorCode::invalid_argument, joined(errors) + "\nnothing changed");

  std::string done;
  if (tunnel) {
    if (auto r = tunnel_->reconfigure(std::move(tunnel->config)); !r)
      return Error(r.error().code, options_.tunnel_file + ": " + r.error().message);
    done += options_.tunnel_file + ": applied\n";
  }
  if (relay) {
    if (auto r = relay_->reconfigure(relay->config); !r)
      return Error(r.error().code, options_.relay_file + ": " + r.error().message);
    done += options_.relay_file + (relay_->reload_pending() ? ": reloading once the local deliveries in flight are done\n"
                                                            : ": reloaded\n");
  }
  return done;
}

void Daemon::register_reload_command() {
  control_->register_command(
      "reload", "read the tunnel and relay files again and apply them (wg syncconf; the relay restarts inside)",
      [this](const control::Request& request, const std::shared_ptr<control::Reply>& reply) {
        if (!request.args.empty()) {
          reply->fail("usage: reload");
          return;
        }
        // Not from inside the control socket's callback: the relay's
        // listeners, the control socket's neighbours, are replaced.
        host_.post([this, reply] {
          auto r = reload();
          log_.info(std::string("control: reload") + (r ? "" : " (failed)"));
          if (!r) {
            reply->fail(r.error().message);
            return;
          }
          reply->write(*r);
          reply->finish();
        });
      });
}

void Daemon::wait_for_hangup() {
  hangup_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    log_.info("received SIGHUP, reloading");
    auto r = reload();
    if (r)
      log_.info("reloaded: " + *r);
    else
      log_.error("reload failed: " + r.error().message);
    wait_for_hangup();
  });
}

}  // namespace tether::daemon
