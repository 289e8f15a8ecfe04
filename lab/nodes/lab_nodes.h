#pragma once
// Every host of a LabWorld running a real tetherd in its namespace, each
// with its own effective files (host_files.h), --state directory, control
// socket, key log and log, all under the run's directory:
//   RUN/hosts/NAME/wg0.conf, smtpd.conf   the effective files
//   RUN/hosts/NAME/state/                  --state (queue; maildirs in home/USER/Maildir)
//   RUN/hosts/NAME/control.sock            --control (tetherctl)
//   RUN/hosts/NAME/wg-keys.log             --key-log (tshark's wg.keylog_file)
//   RUN/hosts/NAME/tetherd.log             its output, appended across restarts
//   RUN/tetherd-NAME.pid                   recorded in the world's record
//   /etc/netns/NS/passwd                   the machine's users and the host's
//                                          (table_users), homes in state/home/
// The pid file is recorded (world_record.h) before the first start, so the
// world's clean-up, in every way out, stops the daemon by PID once it has
// checked that the command line still names the run's directory.
//
// The node operations of the scenario's events: stop (SIGKILL, as a
// stop-node), start again on the same state (start-node), pause-smtp and
// resume-smtp and reload (change-config) through tetherctl on the host's
// control socket; and the tunnel's events, read back from the daemon's log.
//
// A host on `implementation: opensmtpd` runs Debian's OpenSMTPD 6.8 as its
// mail server instead (opensmtpd_config.h, opensmtpd_daemon.h), in its own
// mount namespace, from RUN/hosts/NAME/smtpd.conf, on the spool
// RUN/hosts/NAME/spool, logging to RUN/hosts/NAME/smtpd.log, its pid file
// RUN/smtpd-NAME.pid recorded as tetherd's is; its tunnel, if it has one,
// stays tetherd's (tetherd --tunnel without --relay), started first so that
// `listen on wg0` finds the interface. The same operations act on it:
// stop/start (SIGKILL, then a start on the same spool), pause/resume-smtp
// through its own smtpctl, change-config as a restart (6.8's smtpctl has
// no reload).
// Needs root.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "lab/nodes/host_files.h"
#include "lab/world/command.h"
#include "lab/world/lab_world.h"

namespace tether::lab {

struct LabNodesOptions {
  std::filesystem::path tetherd = "tetherd";      // searched in PATH when not a path
  std::filesystem::path tetherctl = "tetherctl";
  std::string log_level = "info";                 // tetherd --log-level
  double ready_timeout_seconds = 10;              // for "ready: " in its log
};

// A line of one component of tetherd's log:
// "[ 1765.123456] info    tunnel.wg0: handshake ..."
struct LogLine {
  double seconds = 0;  // the log's own stamp: tetherd's CLOCK_MONOTONIC (PosixHost::now())
  std::string level;
  std::string text;    // after "COMPONENT: "

  // The stamp on the steady clock's time line (a run's start instant is on it).
  Time stamp() const { return Time::from_ns(static_cast<std::int64_t>(std::llround(seconds * 1e9))); }
};
using TunnelLogEvent = LogLine;  // a line of "tunnel.IFACE"

class LabNodes {
 public:
  // Writes every host's effective files; refuses (every refusal, one line
  // each) before anything runs. Starts nothing.
  static Result<std::unique_ptr<LabNodes>> prepare(LabWorld& world, LabNodesOptions options = {});
  // Stops the daemons still running (SIGTERM, then SIGKILL).
  ~LabNodes();
  LabNodes(const LabNodes&) = delete;
  LabNodes& operator=(const LabNodes&) = delete;

  // Starts every host's daemons: all tetherds at once, then each waited for
  // ("ready: "); then the OpenSMTPD hosts' smtpd, each waited for.
  Result<void> start_all();
  // Starts a host's tetherd on its state, waits for "ready: ".
  Result<void> start(const std::string& host);
  // SIGKILL, as a VM switched off; waits until it is gone.
  Result<void> stop(const std::string& host);
  bool running(const std::string& host) const;
  int pid(const std::string& host) const;  // 0 when not running

  // What runs the host's mail server (lab.json says it).
  scenario::RelayImplementation implementation(const std::string& host) const {
    return node(host).implementation;
  }
  // tetherctl --control SOCK WORDS... in the host's namespace; smtpctl
  // WORDS... for an OpenSMTPD host.
  CommandResult control(const std::string& host, const std::vector<std::string>& words) const;
  Result<void> pause_smtp(const std::string& host);
  Result<void> resume_smtp(const std::string& host);
  // change-config: the given files (empty: unchanged) become the host's
  // effective files, then `tetherctl reload`; returns its answer
  // ("RUN/hosts/NAME/wg0.conf: applied"). An OpenSMTPD host's new
  // smtpd.conf is checked as at the start, then smtpd is restarted on its
  // spool (SIGTERM, as `rcctl restart smtpd`).
  Result<std::string> change_config(const std::string& host, const std::filesystem::path& tunnel,
                             const std::filesystem::path& smtpd);

  std::vector<std::string> hosts() const;
  const HostFiles& files(const std::string& host) const { return node(host).files; }
  std::filesystem::path directory(const std::string& host) const { return node(host).directory; }
  std::filesystem::path state_dir(const std::string& host) const { return node(host).directory / "state"; }
  // Where tetherd delivers a local user's maildir.
  std::filesystem::path maildir(const std::string& host, const std::string& user) const {
    return state_dir(host) / "home" / user / "Maildir";
  }
  // tetherd's log, then OpenSMTPD's (each line stamped with CLOCK_REALTIME
  // seconds) for an OpenSMTPD host.
  std::string log(const std::string& host) const;
  // The tunnel's events in the host's log, oldest first.
  std::vector<TunnelLogEvent> tunnel_events(const std::string& host) const;
  // The relay's events in the host's log ("relay.event", at debug;
  // node/relay_event_log.h), oldest first; none for a host without smtpd.
  std::vector<LogLine> relay_events(const std::string& host) const;
  // The lines of one component ("tunnel.wg0", "relay.event"), oldest first.
  std::vector<LogLine> logged(const std::string& host, const std::string& component) const;

 private:
  struct Node {
    const scenario::HostSpec* spec = nullptr;
    std::filesystem::path directory, pidfile;
    HostFiles files;
    bool recorded = false;
    scenario::RelayImplementation implementation = scenario::RelayImplementation::tetherd;
    std::filesystem::path smtpd_pidfile;  // OpenSMTPD hosts
    bool smtpd_recorded = false;
    bool runs_tetherd() const {
      return !files.tunnel.empty() || (!files.relay.empty() && implementation == scenario::RelayImplementation::tetherd);
    }
    bool runs_opensmtpd() const { return implementation == scenario::RelayImplementation::opensmtpd; }
  };
  LabNodes(LabWorld& world, LabNodesOptions options) : world_(world), options_(std::move(options)) {}
  const Node& node(const std::string& host) const;
  Node* find(const std::string& host);
  std::vector<std::string> daemon_argv(const Node& n) const;
  Result<void> give_users(const Node& n);
  Result<void> launch(Node& n, const std::filesystem::path& pidfile, bool& recorded,
                      const std::vector<std::string>& argv, const std::filesystem::path& log_file,
                      const std::string& what);
  Result<std::pair<std::size_t, int>> launch_tetherd(Node& n);
  Result<void> start_tetherd(Node& n);
  Result<void> wait_ready(const Node& n, std::size_t log_offset, int pid);
  // lab_nodes_opensmtpd.cc
  Result<void> write_opensmtpd_files(Node& n, const std::filesystem::path& smtpd, const std::filesystem::path& directory);
  std::vector<std::string> egress_interfaces(const Node& n) const;
  Result<void> start_opensmtpd(Node& n);
  Result<void> wait_opensmtpd_ready(const Node& n, int pid);
  Result<void> stop_opensmtpd(const Node& n, int signal);
  Result<std::string> restart_opensmtpd(Node& n, const std::filesystem::path& smtpd);
  int pid_in(const std::filesystem::path& pidfile, const Node& n) const;
  Result<void> rewrite(Node& n, const std::filesystem::path& tunnel, const std::filesystem::path& smtpd);

  LabWorld& world_;
  LabNodesOptions options_;
  std::map<std::string, Node> nodes_;
  std::vector<std::string> order_;
};

}  // namespace tether::lab
