// LabNodes for a host on `implementation: opensmtpd`: Debian's OpenSMTPD
// 6.8 as its mail server (opensmtpd_config.h, opensmtpd_daemon.h).
#include <signal.h>

#include <algorithm>

#include "lab/nodes/daemon_process.h"
#include "lab/nodes/lab_nodes.h"
#include "lab/nodes/opensmtpd_config.h"
#include "lab/nodes/opensmtpd_daemon.h"
#include "node/deployment_files.h"

namespace tether::lab {

namespace fs = std::filesystem;

// OpenBSD's `egress` group holds the interface of the default route; the
// rest of the host's non-loopback interfaces follow it (tetherd listens on
// all of them for egress: daemon/interface_addresses.cc).
std::vector<std::string> LabNodes::egress_interfaces(const Node& n) const {
  std::vector<std::string> out;
  const PlannedNode* planned = world_.plan().node(n.spec->name);
  if (!planned) return out;
  for (const PlannedRoute& r : planned->routes)
    if (r.destination == "default" && !r.device.empty() && !r.ipv6) out.push_back(r.device);
  for (const PlannedAddress& a : planned->addresses)
    if (a.interface != "lo" && std::find(out.begin(), out.end(), a.interface) == out.end()) out.push_back(a.interface);
  return out;
}

Result<void> LabNodes::write_opensmtpd_files(Node& n, const fs::path& smtpd, const fs::path& directory) {
  const std::string field = "hosts." + n.spec->name + ".smtpd";
  const std::string tunnel = n.files.tunnel.empty() ? "" : n.spec->interface_name;
  auto copy = write_opensmtpd_conf(smtpd, field, directory, egress_interfaces(n), tunnel,
                                   [&](const std::vector<std::string>& argv) { return world_.run_in(n.spec->name, argv); });
  if (!copy.ok()) return copy.error();
  n.files.relay = *copy;
  n.files.config_root = fs::absolute(node::config_root(smtpd));
  return {};
}

Result<void> LabNodes::start_opensmtpd(Node& n) {
  const OpenSmtpdPlaces places{n.files.relay, n.directory / "spool", n.directory / "smtpd.log",
                               world_.record().directory(), n.spec->hostname};
  if (!make_spool(places.spool)) return Error(ErrorCode::internal, "lab: " + places.spool.string() + ": cannot make the spool");
  // Its own output is the stamped log; the launcher's goes beside it.
  if (auto r = launch(n, n.smtpd_pidfile, n.smtpd_recorded, opensmtpd_argv(places), n.directory / "smtpd.out", "smtpd");
      !r.ok())
    return r;
  return wait_opensmtpd_ready(n, pid_in(n.smtpd_pidfile, n));
}

// Ready once its control process answers `smtpctl show status`: by then
// the parent has set every process up and the listeners are enabled.
Result<void> LabNodes::wait_opensmtpd_ready(const Node& n, int p) {
  const int limit_ms = int(options_.ready_timeout_seconds * 1000);
  for (int waited = 0;; waited += 50) {
    const bool dead = p <= 0 || !process::alive(p);
    if (!dead && run_command(smtpctl_argv(p, {"show", "status"})).output.find("SMTP ") != std::string::npos) return {};
    if (dead || waited >= limit_ms) {
      if (!dead) kill(p, SIGKILL);
      return Error(ErrorCode::internal, "lab: " + n.spec->name + "'s smtpd " + (dead ? "exited" : "was not ready in time") +
                                            "; its log ends:\n" +
                                            process::tail(process::read_file(n.directory / "smtpd.log") +
                                                              process::read_file(n.directory / "smtpd.out"),
                                                          15));
    }
    process::sleep_ms(50);
  }
}

// The children are found before the parent goes (they are reparented
// after) and waited for: a start must not find the port still held by the
// old pony express process.
Result<void> LabNodes::stop_opensmtpd(const Node& n, int signal) {
  const int p = pid_in(n.smtpd_pidfile, n);
  if (p <= 0) return {};
  const std::vector<int> children = children_of(p);
  kill(p, signal);
  bool gone = process::wait_gone(p, 5000);
  if (!gone && signal != SIGKILL) {
    kill(p, SIGKILL);
    gone = process::wait_gone(p, 5000);
  }
  for (int child : children)
    if (!process::wait_gone(child, 3000)) kill(child, SIGKILL);
  if (!gone) return Error(ErrorCode::internal, "lab: " + n.spec->name + "'s smtpd survived SIGKILL");
  return {};
}

// 6.8's smtpctl has no reload: the new file is checked as at the start,
// then smtpd is restarted on its spool as an administrator would
// (SIGTERM, smtpd's clean shutdown, then a start).
Result<std::string> LabNodes::restart_opensmtpd(Node& n, const fs::path& smtpd) {
  if (!smtpd.empty()) {
    if (fs::absolute(node::config_root(smtpd)) != n.files.config_root)
      return Error(ErrorCode::invalid_argument, "smtpd: " + smtpd.string() + " is not below " +
                                                    n.files.config_root.string() + ", the running config's root");
    const fs::path staging = n.directory / "changed";
    Node changed = n;
    auto r = write_opensmtpd_files(changed, smtpd, staging);
    std::error_code ec;
    if (r.ok()) fs::rename(changed.files.relay, n.files.relay, ec);
    fs::remove_all(staging, ec);
    if (!r.ok()) return r.error();
  }
  if (auto r = stop_opensmtpd(n, SIGTERM); !r.ok()) return r.error();
  if (auto r = start_opensmtpd(n); !r.ok()) return r.error();
  return n.files.relay.string() + ": restarted (OpenSMTPD 6.8 has no reload)\n";
}

}  // namespace tether::lab
