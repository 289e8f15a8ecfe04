// tetherd: runs tether's node apps on this machine, the tunnel and the mail
// relay, alone or together in one process:
//
//   tetherd --tunnel /etc/wireguard/wg0.conf     interface wg0, as wg-quick up
//   tetherd --relay /etc/mail/smtpd.conf         the relay, queue in --state DIR
//   tetherd -n --tunnel wg0.conf --relay F       check the files and exit (as smtpd -n)
//
// It stays in the foreground and logs to stderr (systemd or the test
// harness collect it); SIGINT or SIGTERM take the interface down and end it
// with status 0 (queued mail stays in the state directory for the next start).

#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "daemon/backup_mx_check.h"
#include "daemon/daemon.h"
#include "daemon/tetherd_options.h"
#include "node/relay_pki_check.h"

int main(int argc, char** argv) {
  using namespace tether::daemon;
  // A tetherctl that hangs up mid-answer must not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);

  auto options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) {
    std::cerr << "tetherd: " << options.error().message << "\n" << usage();
    return 1;
  }
  if (options->help) {
    std::cout << usage();
    return 0;
  }

  tether::node::TunnelFile tunnel;
  if (!options->tunnel_file.empty()) {
    tunnel = check_tunnel_file(options->tunnel_file);
    for (const std::string& warning : tunnel.warnings) std::cerr << warning << "\n";
    for (const std::string& error : tunnel.errors) std::cerr << error << "\n";
  }
  tether::node::RelayFile relay;
  if (!options->relay_file.empty()) {
    relay = tether::node::load_relay_file(options->relay_file, options->config_root);
    // The pki and ca files, loaded now as the relay's start would (smtpd -n does too).
    if (relay.ok()) relay.errors = tether::node::check_relay_pki_files(*relay.config, options->config_root);
    for (const std::string& error : relay.errors) std::cerr << error << "\n";
    if (relay.ok() && options->check_only)
      for (const std::string& warning : tether::daemon::backup_mx_warnings(*relay.config))
        std::cerr << warning << "\n";
  }
  const bool ok = tunnel.ok() && relay.ok();
  if (options->check_only) {
    if (!ok) return 1;
    std::cout << "configuration OK\n";
    return 0;
  }
  if (!ok) return 1;
  return run_daemon(*options, std::move(tunnel), std::move(relay));
}
