#include "lab/events/conntrack_watcher.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "lab/events/conntrack_event.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

// conntrack's path, for exec after fork (no PATH search there).
std::string conntrack_program() {
  for (const char* p : {"/usr/sbin/conntrack", "/sbin/conntrack", "/usr/bin/conntrack"})
    if (access(p, X_OK) == 0) return p;
  return "";
}

// fork, enter the namespace, exec: only async-signal-safe calls in the
// child (the parent has threads). argv[0] names the run's directory, which
// is how the clean-up knows the PID is still this run's.
pid_t spawn_in_namespace(const std::string& ns, const std::string& program, const std::string& marker, int out_fd) {
  const std::string ns_path = "/run/netns/" + ns;
  const char* argv[] = {marker.c_str(), "-E", "-e", "NEW,DESTROY", nullptr};
  sigset_t none;
  sigemptyset(&none);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int ns_fd = open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns_fd < 0 || setns(ns_fd, CLONE_NEWNET) != 0) _exit(126);
  dup2(out_fd, 1);
  const int null_fd = open("/dev/null", O_RDWR);
  dup2(null_fd, 0);
  dup2(null_fd, 2);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execv(program.c_str(), const_cast<char* const*>(argv));
  _exit(127);
}

}  // namespace

Result<std::unique_ptr<ConntrackWatcher>> ConntrackWatcher::start(LabWorld& world, EventSink& sink,
                                                                  std::chrono::steady_clock::time_point start) {
  const std::string ns = world.namespace_of("gateway");
  if (ns.empty()) return Error(ErrorCode::invalid_argument, "lab: conntrack events: this world has no gateway");
  const std::string program = conntrack_program();
  if (program.empty())
    return Error(ErrorCode::not_found, "lab: conntrack events: no conntrack program (Debian package conntrack)");
  std::unique_ptr<ConntrackWatcher> watcher(new ConntrackWatcher(sink, start));
  const fs::path pidfile = world.record().directory() / "conntrack-events.pid";
  const std::string marker = (world.record().directory() / "conntrack-events").string();
  int fds[2] = {-1, -1};
  auto made = world.record().make("pidfile", pidfile.string(), [&]() -> Result<void> {
    if (pipe2(fds, O_CLOEXEC) != 0) return Error(ErrorCode::io, "lab: conntrack events: pipe failed");
    const pid_t pid = spawn_in_namespace(ns, program, marker, fds[1]);
    close(fds[1]);
    if (pid < 0) {
      close(fds[0]);
      return Error(ErrorCode::io, "lab: conntrack events: fork failed");
    }
    watcher->pid_ = pid;
    std::ofstream(pidfile) << pid << "\n";
    return {};
  });
  if (!made.ok()) return made.error();
  watcher->reader_ = std::thread([w = watcher.get(), fd = fds[0]] { w->read_lines(fd); });
  watcher->reaper_ = std::thread([w = watcher.get(), ns] { w->reap_expired(ns); });
  // conntrack subscribes to the events before it reads: give it the time
  // to get there, so that flows made right after start() are seen.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int status = 0;
  if (waitpid(watcher->pid_, &status, WNOHANG) == watcher->pid_) {
    watcher->pid_ = -1;
    return Error(ErrorCode::io, "lab: conntrack -E in " + ns + " ended at once (exit " +
                                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) + ")");
  }
  return watcher;
}

ConntrackWatcher::~ConntrackWatcher() { stop(); }

void ConntrackWatcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_.notify_all();
  }
  if (reaper_.joinable()) reaper_.join();
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (reader_.joinable()) reader_.join();
}

std::vector<std::string> ConntrackWatcher::problems() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return problems_;
}

void ConntrackWatcher::reap_expired(const std::string& ns) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopped_) {
    lock.unlock();
    run_command(in_namespace(ns, {"conntrack", "-L"}));
    lock.lock();
    stopping_.wait_for(lock, kReapInterval, [this] { return stopped_; });
  }
}

void ConntrackWatcher::read_lines(int fd) {
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, std::size_t(n));
    for (std::size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
      take_line(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
  }
  if (!pending.empty()) take_line(pending);
  close(fd);
}

void ConntrackWatcher::take_line(const std::string& line) {
  const std::uint64_t number = ++lines_;
  const Time at = Time::zero() + Duration::nanoseconds(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                           std::chrono::steady_clock::now() - start_)
                                                           .count());
  auto flow = parse_conntrack_line(line);
  if (!flow.ok()) {
    std::lock_guard<std::mutex> lock(mutex_);
    problems_.push_back("conntrack -E line " + std::to_string(number) + ": " + flow.error().message + ": " + line);
    return;
  }
  if (auto o = nat_observation(*flow, at)) sink_.nat(*o);
}

}  // namespace tether::lab
