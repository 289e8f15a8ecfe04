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
// Needs root.

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
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

  // Starts every host's tetherd, in the scenario's order, each waited for.
  Result<void> start_all();
  // Starts a host's tetherd on its state, waits for "ready: ".
  Result<void> start(const std::string& host);
  // SIGKILL, as a VM switched off; waits until it is gone.
  Result<void> stop(const std::string& host);
  bool running(const std::string& host) const;
  int pid(const std::string& host) const;  // 0 when not running

  // tetherctl --control SOCK WORDS... in the host's namespace.
  CommandResult control(const std::string& host, const std::vector<std::string>& words) const;
  Result<void> pause_smtp(const std::string& host);
  Result<void> resume_smtp(const std::string& host);
  // change-config: the given files (empty: unchanged) become the host's
  // effective files, then `tetherctl reload`; returns its answer
  // ("RUN/hosts/NAME/wg0.conf: applied").
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
  };
  LabNodes(LabWorld& world, LabNodesOptions options) : world_(world), options_(std::move(options)) {}
  const Node& node(const std::string& host) const;
  Node* find(const std::string& host);
  std::vector<std::string> daemon_argv(const Node& n) const;
  Result<void> give_users(const Node& n);
  Result<void> wait_ready(const Node& n, std::size_t log_offset, int pid);
  Result<void> rewrite(Node& n, const std::filesystem::path& tunnel, const std::filesystem::path& smtpd);

  LabWorld& world_;
  LabNodesOptions options_;
  std::map<std::string, Node> nodes_;
  std::vector<std::string> order_;
};

}  // namespace tether::lab
