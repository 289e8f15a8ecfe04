#include "lab/world/world_record.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "lab/world/command.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

struct Recorded {
  std::vector<std::string> pidfiles, tables, namespaces, paths;
};

Recorded read_record(const fs::path& file) {
  Recorded r;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string kind = line.substr(0, space), what = line.substr(space + 1);
    if (kind == "pidfile") r.pidfiles.push_back(what);
    else if (kind == "nft") r.tables.push_back(what);
    else if (kind == "netns") r.namespaces.push_back(what);
    else if (kind == "path") r.paths.push_back(what);
  }
  return r;
}

// A zombie counts as gone: a daemon's parent (init, or whatever reaps
// orphans in a container) may take its time to reap it.
bool process_alive(pid_t pid) {
  if (kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

std::string read_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text)
    if (c == '\0') c = ' ';
  return text;
}

// Ends the daemon whose pid file this is, if the PID still belongs to a
// process started with a path in the run's directory (a PID reused by some
// other process since is left alone).
void end_daemon(const fs::path& pidfile, std::vector<std::string>& problems) {
  std::ifstream in(pidfile);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) return;
  const std::string marker = pidfile.parent_path().string();
  if (read_cmdline(pid_t(pid)).find(marker) == std::string::npos) return;
  kill(pid_t(pid), SIGTERM);
  for (int i = 0; i < 300 && process_alive(pid_t(pid)); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (process_alive(pid_t(pid)) && read_cmdline(pid_t(pid)).find(marker) != std::string::npos) {
    kill(pid_t(pid), SIGKILL);
    for (int i = 0; i < 100 && process_alive(pid_t(pid)); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (process_alive(pid_t(pid)) && read_cmdline(pid_t(pid)).find(marker) != std::string::npos)
    problems.push_back("process " + std::to_string(pid) + " (" + pidfile.string() + ") would not end");
}

bool namespace_exists(const std::string& ns) { return fs::exists(fs::path("/run/netns") / ns); }

void delete_namespace(const std::string& ns, std::vector<std::string>& problems) {
  if (!namespace_exists(ns)) return;
  const std::vector<std::string> argv{"ip", "netns", "delete", ns};
  const CommandResult r = run_command(argv);
  if (!r.ok() && namespace_exists(ns)) problems.push_back(r.describe(argv));
}

void remove_path(const fs::path& path, std::vector<std::string>& problems) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) problems.push_back(path.string() + ": " + ec.message());
}

// Namespaces and /etc/netns directories named with the prefix that the
// record does not list: if the run's directory was lost (removed by hand),
// its namespaces are still found by the run's own prefix.
void remove_named(const std::string& prefix, std::vector<std::string>& problems) {
  std::error_code ec;
  for (const char* root : {"/run/netns", "/etc/netns"}) {
    if (!fs::is_directory(root, ec)) continue;
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(root, ec))
      if (entry.path().filename().string().rfind(prefix, 0) == 0) found.push_back(entry.path());
    for (const fs::path& p : found) {
      if (std::string(root) == "/run/netns") delete_namespace(p.filename().string(), problems);
      else remove_path(p, problems);
    }
  }
}

std::vector<std::string> remove_recorded(const std::string& prefix, const fs::path& directory) {
  std::vector<std::string> problems;
  const Recorded r = read_record(directory / "record");
  for (const std::string& pidfile : r.pidfiles) end_daemon(pidfile, problems);
  for (const std::string& table : r.tables) {
    std::istringstream words(table);
    std::string ns, name;
    words >> ns >> name;
    if (namespace_exists(ns)) run_command(in_namespace(ns, {"nft", "delete", "table", "ip", name}));
  }
  for (auto it = r.namespaces.rbegin(); it != r.namespaces.rend(); ++it) delete_namespace(*it, problems);
  for (auto it = r.paths.rbegin(); it != r.paths.rend(); ++it) remove_path(*it, problems);
  remove_named(prefix, problems);
  remove_path(directory, problems);
  return problems;
}

}  // namespace

std::vector<std::string> end_recorded_daemon(const fs::path& pidfile) {
  std::vector<std::string> problems;
  end_daemon(pidfile, problems);
  return problems;
}

fs::path lab_run_root() { return "/run/tether-lab"; }

bool is_run_prefix(const std::string& prefix) {
  const auto x = prefix.find('x');
  if (prefix.size() < 6 || prefix.rfind("tl", 0) != 0 || x == std::string::npos || x == 2 || prefix.back() != '-')
    return false;
  const std::string pid = prefix.substr(2, x - 2), random = prefix.substr(x + 1, prefix.size() - x - 2);
  return !random.empty() && pid.find_first_not_of("0123456789") == std::string::npos &&
         random.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string new_run_prefix() {
  std::random_device device;
  std::ostringstream s;
  s << "tl" << getpid() << "x" << std::hex << (device() & 0xffff) << "-";
  return s.str();
}

WorldRecord::WorldRecord(std::string prefix) : prefix_(std::move(prefix)), directory_(lab_run_root() / prefix_) {}

Result<void> WorldRecord::open() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return Error(ErrorCode::closed, "lab: the world is being removed");
  std::error_code ec;
  fs::create_directories(lab_run_root(), ec);
  if (!fs::create_directory(directory_, ec) || ec)
    return Error(ErrorCode::io, directory_.string() + ": cannot make the run's directory" +
                                    (ec ? ": " + ec.message() : " (it exists: another run has this prefix)"));
  std::ofstream out(directory_ / "record");
  out << "path " << directory_.string() << "\n";
  out.close();
  if (!out) return Error(ErrorCode::io, (directory_ / "record").string() + ": cannot write");
  return {};
}

WorldRecord::~WorldRecord() { remove_all(); }

Result<void> WorldRecord::make(const std::string& kind, const std::string& what,
                               const std::function<Result<void>()>& action) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return Error(ErrorCode::closed, "lab: the world is being removed");
  std::ofstream out(directory_ / "record", std::ios::app);
  out << kind << " " << what << "\n";
  out.close();
  if (!out) return Error(ErrorCode::io, (directory_ / "record").string() + ": cannot write");
  return action();
}

std::vector<std::string> WorldRecord::remove_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return {};
  closed_ = true;
  return remove_recorded(prefix_, directory_);
}

std::vector<std::string> remove_leftovers(const std::string& prefix) {
  if (!is_run_prefix(prefix)) return {"lab: '" + prefix + "' is not a run's prefix (tl<pid>x<hex>-)"};
  return remove_recorded(prefix, lab_run_root() / prefix);
}

std::vector<std::string> remove_dead_runs() {
  std::vector<std::string> problems;
  std::error_code ec;
  if (!fs::is_directory(lab_run_root(), ec)) return problems;
  std::vector<std::string> dead;
  for (const auto& entry : fs::directory_iterator(lab_run_root(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!is_run_prefix(name)) continue;
    const auto x = name.find('x');
    const long pid = std::strtol(name.substr(2, x - 2).c_str(), nullptr, 10);
    if (pid > 0 && !process_alive(pid_t(pid))) dead.push_back(name);
  }
  for (const std::string& prefix : dead)
    for (std::string& p : remove_leftovers(prefix)) problems.push_back(std::move(p));
  return problems;
}

}  // namespace tether::lab
