#include "lab/nodes/lab_nodes.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string cmdline_of(int pid) {
  std::string text = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : text)
    if (c == '\0') c = ' ';
  return text;
}

// Alive and not a zombie waiting for init to reap it (the daemon's parent,
// the shell that started it, is gone).
bool alive(int pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return !stat.empty() && paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

bool wait_gone(int pid, int ms) {
  for (int waited = 0; waited < ms && alive(pid); waited += 10) sleep_ms(10);
  return !alive(pid);
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t at = text.size();
  while (lines-- > 0 && at > 0) {
    at = text.rfind('\n', at - 1);
    if (at == std::string::npos) return text;
  }
  return text.substr(at + 1);
}

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
    if (auto r = nodes->give_users(n); !r.ok()) return r.error();
    if (n.files.tunnel.empty() && n.files.relay.empty()) continue;  // nothing for tetherd to run
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
Result<void> LabNodes::give_users(const Node& n) {
  const std::vector<std::string> users = table_users(n.files);
  if (users.empty()) return {};
  std::string passwd = read_file("/etc/passwd");
  if (!passwd.empty() && passwd.back() != '\n') passwd += '\n';
  int uid = 60100;
  for (const std::string& user : users) {
    const std::string id = std::to_string(uid++);
    passwd += user + ":x:" + id + ":" + id + ":lab user:" + (n.directory / "state" / "home" / user).string() +
              ":/usr/sbin/nologin\n";
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
    const int p = pid(name);
    if (p <= 0) continue;
    kill(p, SIGTERM);
    if (!wait_gone(p, 3000) && pid(name) == p) kill(p, SIGKILL);
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
  if (!n.files.relay.empty())
    argv.insert(argv.end(), {"--relay", n.files.relay.string(), "--config-root", n.files.config_root.string()});
  argv.insert(argv.end(), {"--state", (n.directory / "state").string(), "--control", (n.directory / "control.sock").string(),
                           "--log-level", options_.log_level});
  if (!n.files.tunnel.empty()) argv.insert(argv.end(), {"--key-log", (n.directory / "wg-keys.log").string()});
  return argv;
}

int LabNodes::pid(const std::string& host) const {
  const Node& n = node(host);
  if (n.pidfile.empty()) return 0;
  std::istringstream in(read_file(n.pidfile));
  int p = 0;
  if (!(in >> p) || p <= 1 || !alive(p)) return 0;
  // A PID reused since by another process is not the host's daemon.
  return cmdline_of(p).find(n.directory.string()) == std::string::npos ? 0 : p;
}

bool LabNodes::running(const std::string& host) const { return pid(host) > 0; }

Result<void> LabNodes::start_all() {
  for (const std::string& name : order_)
    if (auto r = start(name); !r.ok()) return r;
  return {};
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
// and relays to itself until "Too many hops".
Result<void> LabNodes::start(const std::string& host) {
  Node* n = find(host);
  if (!n) return Error(ErrorCode::not_found, "lab: no tetherd host '" + host + "'");
  if (running(host)) return Error(ErrorCode::invalid_argument, "lab: " + host + "'s tetherd is already running");
  const fs::path log_file = n->directory / "tetherd.log";
  std::error_code ec;
  fs::create_directories(n->directory / "state", ec);
  const std::size_t offset = fs::exists(log_file, ec) ? std::size_t(fs::file_size(log_file, ec)) : 0;
  std::string script;
  for (const std::string& a : daemon_argv(*n)) script += quoted(a) + " ";
  script += ">>" + quoted(log_file.string()) + " 2>&1 </dev/null & echo $! >" + quoted(n->pidfile.string());
  script = "hostname " + quoted(n->spec->hostname) + " && " + script;
  const std::vector<std::string> argv =
      in_namespace(world_.namespace_of(host), {"unshare", "--uts", "--", "sh", "-c", script});
  auto launch = [&]() -> Result<void> {
    const CommandResult r = run_command(argv);
    if (!r.ok()) return Error(ErrorCode::internal, "lab: starting " + host + "'s tetherd: " + r.describe(argv));
    return {};
  };
  Result<void> launched = n->recorded ? launch() : world_.record().make("pidfile", n->pidfile.string(), launch);
  if (!launched.ok()) return launched;
  n->recorded = true;
  std::istringstream in(read_file(n->pidfile));
  int p = 0;
  in >> p;
  return wait_ready(*n, offset, p);
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
  const int p = pid(host);
  if (p <= 0) return Error(ErrorCode::invalid_argument, "lab: " + host + "'s tetherd is not running");
  kill(p, SIGKILL);
  if (!wait_gone(p, 5000)) return Error(ErrorCode::internal, "lab: " + host + "'s tetherd survived SIGKILL");
  return {};
}

CommandResult LabNodes::control(const std::string& host, const std::vector<std::string>& words) const {
  const Node& n = node(host);
  if (!n.spec) return CommandResult{-1, "lab: no tetherd host '" + host + "'"};
  std::vector<std::string> argv{options_.tetherctl.string(), "--control", (n.directory / "control.sock").string()};
  argv.insert(argv.end(), words.begin(), words.end());
  return world_.run_in(host, argv);
}

namespace {
Result<void> checked(const CommandResult& r, const std::string& host, const std::string& what) {
  if (r.ok()) return {};
  std::string out = r.output;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return Error(ErrorCode::internal, "lab: " + host + ": tetherctl " + what + ": exit " + std::to_string(r.exit_code) +
                                        (out.empty() ? "" : ": " + out));
}
}  // namespace

Result<void> LabNodes::pause_smtp(const std::string& host) {
  return checked(control(host, {"pause", "smtp"}), host, "pause smtp");
}

Result<void> LabNodes::resume_smtp(const std::string& host) {
  return checked(control(host, {"resume", "smtp"}), host, "resume smtp");
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
  if (auto r = rewrite(*n, tunnel, smtpd); !r.ok()) return r.error();
  const CommandResult answer = control(host, {"reload"});
  if (auto r = checked(answer, host, "reload"); !r.ok()) return r.error();
  return answer.output;
}

std::string LabNodes::log(const std::string& host) const { return read_file(node(host).directory / "tetherd.log"); }

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
