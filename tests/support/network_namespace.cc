#include "support/network_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>

#include "support/child_process.h"

namespace tether::testing {

bool running_as_root() {
  return ::geteuid() == 0;
}

namespace {

// A test that crashed (a signal skips destructors) leaves its namespaces
// behind. Their names carry the creator's PID, so namespaces of processes
// that no longer exist can be recognised and deleted by the next run.
void delete_orphaned_namespaces() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/var/run/netns", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("tether-", 0) != 0) continue;
    std::size_t last = name.rfind('-');
    std::size_t before =
        last == std::string::npos || last == 0 ? std::string::npos : name.rfind('-', last - 1);
    if (before == std::string::npos) continue;
    std::string pid_text = name.substr(before + 1, last - before - 1);
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;
    auto r = run_command({"ip", "netns", "del", name});
    if (!r) std::fprintf(stderr, "warning: %s\n", r.error().message.c_str());
  }
}

}  // namespace

Result<std::unique_ptr<NetworkNamespace>> NetworkNamespace::create_and_enter(const std::string& purpose) {
  static std::atomic<int> counter{0};
  static std::once_flag swept;
  std::call_once(swept, delete_orphaned_namespaces);
  std::unique_ptr<NetworkNamespace> ns(new NetworkNamespace());
  ns->name_ = "tether-" + purpose + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);

  // setns changes only the calling thread, so remember that thread's own
  // namespace, not the process's.
  ns->original_fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (ns->original_fd_ < 0)
    return Error(ErrorCode::io, std::string("cannot open /proc/thread-self/ns/net: ") + std::strerror(errno));

  auto r = run_command({"ip", "netns", "add", ns->name_});
  if (!r) return r.error();
  ns->created_ = true;
  r = run_command({"ip", "-n", ns->name_, "link", "set", "lo", "up"});
  if (!r) return r.error();

  const std::string path = "/var/run/netns/" + ns->name_;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::io, "cannot open " + path + ": " + std::strerror(errno));
  int rc = ::setns(fd, CLONE_NEWNET);
  int err = errno;
  ::close(fd);
  if (rc != 0)
    return Error(ErrorCode::io, "cannot enter network namespace " + ns->name_ + ": " + std::strerror(err));
  return ns;
}

NetworkNamespace::~NetworkNamespace() {
  if (original_fd_ >= 0) {
    if (::setns(original_fd_, CLONE_NEWNET) != 0)
      std::fprintf(stderr, "warning: cannot return to the original network namespace: %s\n",
                   std::strerror(errno));
    ::close(original_fd_);
  }
  if (created_) {
    auto r = run_command({"ip", "netns", "del", name_});
    if (!r) std::fprintf(stderr, "warning: %s\n", r.error().message.c_str());
  }
}

Result<std::unique_ptr<ThreadInNamespace>> ThreadInNamespace::enter(const std::string& name) {
  std::unique_ptr<ThreadInNamespace> visit(new ThreadInNamespace());
  // setns changes only the calling thread: remember that thread's namespace.
  visit->original_fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (visit->original_fd_ < 0)
    return Error(ErrorCode::io, std::string("cannot open /proc/thread-self/ns/net: ") + std::strerror(errno));
  const std::string path = "/var/run/netns/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::io, "cannot open " + path + ": " + std::strerror(errno));
  int rc = ::setns(fd, CLONE_NEWNET);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Error(ErrorCode::io, "cannot enter network namespace " + name + ": " + std::strerror(err));
  return visit;
}

ThreadInNamespace::~ThreadInNamespace() {
  if (original_fd_ < 0) return;
  if (::setns(original_fd_, CLONE_NEWNET) != 0)
    std::fprintf(stderr, "warning: cannot return to the original network namespace: %s\n", std::strerror(errno));
  ::close(original_fd_);
}

}  // namespace tether::testing
