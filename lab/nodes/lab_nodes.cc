#include "lab/nodes/lab_nodes.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "lab/nodes/daemon_process.h"
#include "lab/nodes/opensmtpd_daemon.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

using process::alive;
using process::cmdline_of;
using process::read_file;
using process::sleep_ms;
using process::tail;
using process::wait_gone;

std::string quoted(const std::string& s) { return process::shell_quoted(s); }

}  // namespace

Result<std::unique_ptr<LabNodes>> LabNodes::prepare(LabWorld& world, LabNodesOptions options) {
  std::unique_ptr<LabNodes> nodes(new LabNodes(world, std::move(options)));
  std::string refused;
  for (const scenario::HostSpec& host : world.scenario().hosts)
    for (const std::string& r : refusals(world.scenario(), host)) refused += (refused.empty() ? "" : "\n") + r;
  if (!refused.empty()) return Error(ErrorCode::unsupported, refused);
  for (const scenario::HostSpec& host : world.scenario().hosts) {
    Node n;
    n.spec = &host;
    n.directory = world.record().directory() / "hosts" / host.name;
    n.pidfile = world.record().directory() / ("tetherd-" + host.name + ".pid");
    auto files = write_host_files(world.scenario(), host, n.directory);
    if (!files.ok()) return files.error();
    n.files = std::move(*files);
    n.implementation = host.implementation;
    if (n.runs_opensmtpd()) {
      n.smtpd_pidfile = world.record().directory() / ("smtpd-" + host.name + ".pid");
      if (auto r = nodes->write_opensmtpd_files(n, host.smtpd, n.directory); !r.ok()) return r.error();
    }
    if (auto r = nodes->give_users(n); !r.ok()) return r.error();
    if (n.files.tunnel.empty() && n.files.relay.empty()) continue;  // nothing to run
    nodes->order_.push_back(host.name);
    nodes->nodes_.emplace(host.name, std::move(n));
  }
  return nodes;
}

// tetherd delivers to system users (posix::SystemUserDatabase, getpwnam);
// `ip netns exec` mounts /etc/netns/NS/passwd over /etc/passwd, so the
// host's users exist in its namespace only, their homes in its state
// directory (where the simulation keeps them: node::StorageUserDatabase).
// The directory is the world's, recorded and removed with it.
namespace {

// OpenSMTPD delivers as the user (mda_unpriv.c drops to its uid): its home
// and maildir must be its own, made now, before the lab's maildir watcher
// would make them as root. tetherd makes them itself, as root.
Result<void> give_maildir(const fs::path& home, int uid) {
  for (const fs::path& dir : {home, home / "Maildir", home / "Maildir" / "tmp", home / "Maildir" / "new",
                              home / "Maildir" / "cur"}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || ::chown(dir.c_str(), uid_t(uid), gid_t(uid)) != 0 || ::chmod(dir.c_str(), 0700) != 0)
      return Error(ErrorCode::internal, "lab: " + dir.string() + ": cannot give it to uid " + std::to_string(uid));
  }
  return {};
}

}  // namespace

Result<void> LabNodes::give_users(const Node& n) {
  const std::vector<std::string> users = table_users(n.files);
  if (users.empty()) return {};
  std::string passwd = read_file("/etc/passwd");
  if (!passwd.empty() && passwd.back() != '\n') passwd += '\n';
  int uid = 60100;
  for (const std::string& user : users) {
    const std::string id = std::to_string(uid++);
    const fs::path home = n.directory / "state" / "home" / user;
    passwd += user + ":x:" + id + ":" + id + ":lab user:" + home.string() + ":/usr/sbin/nologin\n";
    if (n.runs_opensmtpd())
      if (auto r = give_maildir(home, uid - 1); !r.ok()) return r;
  }
  const fs::path file = fs::path("/etc/netns") / world_.namespace_of(n.spec->name) / "passwd";
  std::ofstream out(file, std::ios::trunc);
  out << passwd;
  out.close();
  if (!out) return Error(ErrorCode::internal, "lab: " + file.string() + ": cannot write");
  return {};
}

LabNodes::~LabNodes() {
  for (const std::string& name : order_) {
    const Node& n = node(name);
    if (n.runs_opensmtpd()) (void)stop_opensmtpd(n, SIGTERM);
    const int p = pid_in(n.pidfile, n);
    if (p <= 0) continue;
    kill(p, SIGTERM);
    if (!wait_gone(p, 3000) && pid_in(n.pidfile, n) == p) kill(p, SIGKILL);
  }
}

const LabNodes::Node& LabNodes::node(const std::string& host) const {
  static const Node none;
  const auto it = nodes_.find(host);
  return it == nodes_.end() ? none : it->second;
}

LabNodes::Node* LabNodes::find(const std::string& host) {
  const auto it = nodes_.find(host);
  return it == nodes_.end() ? nullptr : &it->second;
}

std::vector<std::string> LabNodes::hosts() const { return order_; }

std::vector<std::string> LabNodes::daemon_argv(const Node& n) const {
  std::vector<std::string> argv{options_.tetherd.string()};
  if (!n.files.tunnel.empty()) argv.insert(argv.end(), {"--tunnel", n.files.tunnel.string()});
  if (!n.files.relay.empty() && !n.runs_opensmtpd())
    argv.insert(argv.end(), {"--relay", n.files.relay.string(), "--config-root", n.files.config_root.string()});
  argv.insert(argv.end(), {"--state", (n.directory / "state").string(), "--control", (n.directory / "control.sock").string(),
                           "--log-level", options_.log_level});
  if (!n.files.tunnel.empty()) argv.insert(argv.end(), {"--key-log", (n.directory / "wg-keys.log").string()});
  return argv;
}

int LabNodes::pid(const std::string& host) const {
  const Node& n = node(host);
  return pid_in(n.runs_opensmtpd() ? n.smtpd_pidfile : n.pidfile, n);
}

int LabNodes::pid_in(const fs::path& pidfile, const Node& n) const {
  if (pidfile.empty()) return 0;
  std::istringstream in(read_file(pidfile));
  int p = 0;
  if (!(in >> p) || p <= 1 || !alive(p)) return 0;
  // A PID reused since by another process is not the host's daemon.
  return cmdline_of(p).find(n.directory.string()) == std::string::npos ? 0 : p;
}

bool LabNodes::running(const std::string& host) const { return pid(host) > 0; }

// Every tetherd is launched before any is waited for: the simulation starts
// every node's apps at time 0, and started one after another (each ~0.3 s
// from exec to "ready: ") the home's tunnel came up about a second into the
// run, a keepalive fewer and an availability sample lost against the
// simulation's. OpenSMTPD hosts start after, their tetherd (if any) up:
// `listen on wg0` needs the interface.
Result<void> LabNodes::start_all() {
  struct Launched {
    Node* node;
    std::size_t log_offset;
    int pid;
  };
  std::vector<Launched> launched;
  for (const std::string& name : order_) {
    Node* n = find(name);
    if (!n->runs_tetherd() || pid_in(n->pidfile, *n) > 0) continue;
    auto l = launch_tetherd(*n);
    if (!l.ok()) return l.error();
    launched.push_back({n, l->first, l->second});
  }
  for (const Launched& l : launched)
    if (auto r = wait_ready(*l.node, l.log_offset, l.pid); !r.ok()) return r;
  for (const std::string& name : order_) {
    Node* n = find(name);
    if (n->runs_opensmtpd() && !running(name))
      if (auto r = start_opensmtpd(*n); !r.ok()) return r;
  }
  return {};
}

Result<void> LabNodes::start(const std::string& host) {
  Node* n = find(host);
  if (!n) return Error(ErrorCode::not_found, "lab: no tetherd host '" + host + "'");
  if (running(host)) return Error(ErrorCode::invalid_argument, "lab: " + host + "'s mail server is already running");
  if (n->runs_tetherd() && pid_in(n->pidfile, *n) <= 0)
    if (auto r = start_tetherd(*n); !r.ok()) return r;
  return n->runs_opensmtpd() ? start_opensmtpd(*n) : Result<void>();
}

// The daemon is started by a shell in the host's namespace that leaves it
// running in the background and writes its PID, as dnsmasq writes its own:
// the daemon outlives the shell, and the record ends it by that PID.
//
// The shell runs in a UTS namespace of its own named after the host
// (`hosts.NAME.hostname`), so tetherd's gethostname() (posix_host.cc) gives
// the name the simulation gives its node's Host (sim/scenario_world.cc), as
// a real machine named so would: the name in its greeting, HELO and
// Received: lines, and the one `relay backup` looks for among the MXes.
// With the machine's own name a backup MX does not find itself in the MX
// list and, as OpenSMTPD 6.8 would (mta.c, IMSG_MTA_DNS_MX_PREFERENCE: an
// unknown preference becomes INT_MAX), takes every MX, itself included,
// and relays to itself until "Too many hops". (OpenSMTPD's own start,
// opensmtpd_daemon.cc, names itself the same way inside its mount namespace.)
Result<void> LabNodes::launch(Node& n, const fs::path& pidfile, bool& recorded, const std::vector<std::string>& daemon,
                              const fs::path& log_file, const std::string& what) {
  std::string script;
  for (const std::string& a : daemon) script += quoted(a) + " ";
  script += ">>" + quoted(log_file.string()) + " 2>&1 </dev/null & echo $! >" + quoted(pidfile.string());
  script = "hostname " + quoted(n.spec->hostname) + " && " + script;
  const std::vector<std::string> argv =
      in_namespace(world_.namespace_of(n.spec->name), {"unshare", "--uts", "--", "sh", "-c", script});
  auto run = [&]() -> Result<void> {
    const CommandResult r = run_command(argv);
    if (!r.ok()) return Error(ErrorCode::internal, "lab: starting " + n.spec->name + "'s " + what + ": " + r.describe(argv));
    return {};
  };
  Result<void> launched = recorded ? run() : world_.record().make("pidfile", pidfile.string(), run);
  if (launched.ok()) recorded = true;
  return launched;
}

// Its log's size before the launch (where "ready: " is looked for) and its PID.
Result<std::pair<std::size_t, int>> LabNodes::launch_tetherd(Node& n) {
  const fs::path log_file = n.directory / "tetherd.log";
  std::error_code ec;
  fs::create_directories(n.directory / "state", ec);
  const std::size_t offset = fs::exists(log_file, ec) ? std::size_t(fs::file_size(log_file, ec)) : 0;
  if (auto r = launch(n, n.pidfile, n.recorded, daemon_argv(n), log_file, "tetherd"); !r.ok()) return r.error();
  std::istringstream in(read_file(n.pidfile));
  int p = 0;
  in >> p;
  return std::make_pair(offset, p);
}

Result<void> LabNodes::start_tetherd(Node& n) {
  auto l = launch_tetherd(n);
  if (!l.ok()) return l.error();
  return wait_ready(n, l->first, l->second);
}

Result<void> LabNodes::wait_ready(const Node& n, std::size_t log_offset, int p) {
  const fs::path log_file = n.directory / "tetherd.log";
  const int limit_ms = int(options_.ready_timeout_seconds * 1000);
  for (int waited = 0;; waited += 20) {
    const std::string text = read_file(log_file);
    if (text.size() > log_offset && text.find("ready: ", log_offset) != std::string::npos) return {};
    const bool dead = p <= 0 || !alive(p);
    if (dead || waited >= limit_ms) {
      if (!dead) kill(p, SIGKILL);
      return Error(ErrorCode::internal, "lab: " + n.spec->name + "'s tetherd " +
                                            (dead ? "exited" : "was not ready in time") + "; its log ends:\n" +
                                            tail(text.substr(std::min(log_offset, text.size())), 15));
    }
    sleep_ms(20);
  }
}

Result<void> LabNodes::stop(const std::string& host) {
  const Node& n = node(host);
  if (!running(host)) return Error(ErrorCode::invalid_argument, "lab: " + host + "'s mail server is not running");
  if (n.runs_opensmtpd())
    if (auto r = stop_opensmtpd(n, SIGKILL); !r.ok()) return r;
  const int p = pid_in(n.pidfile, n);
  if (p <= 0) return {};
  kill(p, SIGKILL);
  if (!wait_gone(p, 5000)) return Error(ErrorCode::internal, "lab: " + host + "'s tetherd survived SIGKILL");
  return {};
}

CommandResult LabNodes::control(const std::string& host, const std::vector<std::string>& words) const {
  const Node& n = node(host);
  if (!n.spec) return CommandResult{-1, "lab: no tetherd host '" + host + "'"};
  if (n.runs_opensmtpd()) {
    const int p = pid(host);
    if (p <= 0) return CommandResult{-1, "lab: " + host + "'s smtpd is not running"};
    return run_command(smtpctl_argv(p, words));
  }
  std::vector<std::string> argv{options_.tetherctl.string(), "--control", (n.directory / "control.sock").string()};
  argv.insert(argv.end(), words.begin(), words.end());
  return world_.run_in(host, argv);
}

namespace {
std::string controller(bool opensmtpd) { return opensmtpd ? "smtpctl" : "tetherctl"; }

Result<void> checked(const CommandResult& r, const std::string& host, const std::string& what) {
  if (r.ok()) return {};
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return Error(ErrorCode::internal, "lab: " + host + ": " + what + ": exit " + std::to_string(r.exit_code) +
                                        (out.empty() ? "" : ": " + out));
}
}  // namespace

Result<void> LabNodes::pause_smtp(const std::string& host) {
  return checked(control(host, {"pause", "smtp"}), host, controller(node(host).runs_opensmtpd()) + " pause smtp");
}

Result<void> LabNodes::resume_smtp(const std::string& host) {
  return checked(control(host, {"resume", "smtp"}), host, controller(node(host).runs_opensmtpd()) + " resume smtp");
}

// The scenario's change-config names new files; the override of the host's
// profile still applies to a new smtpd.conf (as in the simulation), a new
// tunnel file drops the keepalive override (ScenarioWorld::change_config).
Result<void> LabNodes::rewrite(Node& n, const fs::path& tunnel, const fs::path& smtpd) {
  scenario::HostSpec changed = *n.spec;
  changed.tunnel = tunnel.empty() ? fs::path() : tunnel;
  changed.smtpd = smtpd.empty() ? fs::path() : smtpd;
  if (!tunnel.empty()) changed.persistent_keepalive.reset();
  const fs::path staging = n.directory / "changed";
  auto files = write_host_files(world_.scenario(), changed, staging);
  if (!files.ok()) return files.error();
  std::error_code ec;
  if (!tunnel.empty()) fs::rename(files->tunnel, n.files.tunnel, ec);
  if (!ec && !smtpd.empty()) {
    if (files->config_root != n.files.config_root)
      return Error(ErrorCode::invalid_argument, "smtpd: " + smtpd.string() + " is not below " +
                                                    n.files.config_root.string() + ", the running config's root");
    fs::rename(files->relay, n.files.relay, ec);
  }
  fs::remove_all(staging);
  if (ec) return Error(ErrorCode::internal, "lab: " + n.spec->name + ": " + ec.message());
  return {};
}

Result<std::string> LabNodes::change_config(const std::string& host, const fs::path& tunnel, const fs::path& smtpd) {
  Node* n = find(host);
  if (!n) return Error(ErrorCode::not_found, "lab: no tetherd host '" + host + "'");
  if ((!tunnel.empty() && n->files.tunnel.empty()) || (!smtpd.empty() && n->files.relay.empty()))
    return Error(ErrorCode::invalid_argument, "lab: " + host + ": change-config adds a file tetherd was not started with");
  if (n->runs_opensmtpd() && tunnel.empty()) return restart_opensmtpd(*n, smtpd);
  if (n->runs_opensmtpd()) return Error(ErrorCode::unsupported, "lab: " + host + ": change-config of an OpenSMTPD host's tunnel is not done yet");
  if (auto r = rewrite(*n, tunnel, smtpd); !r.ok()) return r.error();
  const CommandResult answer = control(host, {"reload"});
  if (auto r = checked(answer, host, "tetherctl reload"); !r.ok()) return r.error();
  return answer.output;
}

std::string LabNodes::log(const std::string& host) const {
  const Node& n = node(host);
  return read_file(n.directory / "tetherd.log") + (n.runs_opensmtpd() ? read_file(n.directory / "smtpd.log") : "");
}

// tetherd's log lines are "[SECONDS.MICROS] LEVEL   COMPONENT: TEXT"
// (core/logger.cc, format_log_record); the tunnel's component is
// "tunnel.IFACE", its events at info (handshakes completed, endpoint
// changes, sessions expired), warning (handshakes given up) or debug.
std::vector<TunnelLogEvent> LabNodes::tunnel_events(const std::string& host) const {
  const Node& n = node(host);
  if (!n.spec || n.files.tunnel.empty()) return {};
  return logged(host, "tunnel." + n.spec->interface_name);
}

std::vector<LogLine> LabNodes::relay_events(const std::string& host) const {
  const Node& n = node(host);
  if (!n.spec || n.files.relay.empty()) return {};
  return logged(host, "relay.event");
}

std::vector<LogLine> LabNodes::logged(const std::string& host, const std::string& name) const {
  std::vector<LogLine> out;
  const std::string component = name + ": ";
  std::istringstream lines(log(host));
  for (std::string line; std::getline(lines, line);) {
    const auto close = line.find(']');
    if (line.empty() || line.front() != '[' || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    LogLine e;
    rest >> e.level >> std::ws;
    std::string text;
    std::getline(rest, text);
    if (text.rfind(component, 0) != 0) continue;
    e.seconds = std::strtod(line.c_str() + 1, nullptr);
    e.text = text.substr(component.size());
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace tether::lab
