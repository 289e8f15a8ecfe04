#include "support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace tether::testing {
namespace {

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

std::int64_t monotonic_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const std::vector<std::string>& argv) {
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  for (const auto& a : argv) child->command_ += (child->command_.empty() ? "" : " ") + a;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return Error(ErrorCode::io, "pipe for '" + child->command_ + "': " + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return Error(ErrorCode::io, "fork for '" + child->command_ + "': " + std::strerror(err));
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec. If the test
    // crashes (a signal skips every destructor), the child dies with it
    // instead of lingering; ip netns exec and dnsmasq keep this over exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::execvp(args[0], args.data());
    const char msg[] = "exec failed\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  child->pid_ = pid;
  child->output_fd_ = pipe_fds[0];
  ::fcntl(child->output_fd_, F_SETFL, O_NONBLOCK);
  child->pidfd_ = pidfd_open(pid);
  if (child->pidfd_ < 0) return Error(ErrorCode::io, std::string("pidfd_open: ") + std::strerror(errno));
  return child;
}

ChildProcess::~ChildProcess() {
  exit_watch_.reset();
  if (pid_ > 0 && !exited()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  if (output_fd_ >= 0) ::close(output_fd_);
}

bool ChildProcess::exited() {
  if (status_) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    read_available();
  }
  return status_.has_value();
}

std::optional<int> ChildProcess::exit_code() {
  exited();
  return status_;
}

bool ChildProcess::wait_exit(Duration limit) {
  const std::int64_t end = monotonic_ms() + limit.whole_milliseconds();
  while (!exited()) {
    std::int64_t left = end - monotonic_ms();
    if (left <= 0) return false;
    pollfd p{pidfd_, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(left));
  }
  return true;
}

bool ChildProcess::wait_for_output(const std::string& text, Duration limit) {
  const std::int64_t end = monotonic_ms() + limit.whole_milliseconds();
  for (;;) {
    read_available();
    if (output_.find(text) != std::string::npos) return true;
    if (exited()) return output_.find(text) != std::string::npos;
    std::int64_t left = end - monotonic_ms();
    if (left <= 0) return false;
    pollfd p[2] = {{output_fd_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
    ::poll(p, 2, static_cast<int>(left));
  }
}

const std::string& ChildProcess::output() {
  read_available();
  return output_;
}

void ChildProcess::read_available() {
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(output_fd_, buffer, sizeof buffer);
    if (n > 0) {
      output_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return;
  }
}

void ChildProcess::notify_on_exit(boost::asio::io_context& io, std::function<void()> fn) {
  // A duplicate, so the descriptor Asio owns and closes is not ours.
  auto watch = std::make_shared<boost::asio::posix::stream_descriptor>(io, ::dup(pidfd_));
  std::weak_ptr<boost::asio::posix::stream_descriptor> weak = watch;
  watch->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [weak, fn = std::move(fn)](const boost::system::error_code& ec) {
                      if (!ec && weak.lock()) fn();
                    });
  exit_watch_ = watch;
}

Result<void> run_command(const std::vector<std::string>& argv, Duration limit) {
  auto child = ChildProcess::spawn(argv);
  if (!child) return child.error();
  auto& c = **child;
  if (!c.wait_exit(limit))
    return Error(ErrorCode::timed_out,
                 "'" + c.command_line() + "' did not finish within " + format_duration(limit));
  if (*c.exit_code() != 0)
    return Error(ErrorCode::io, "'" + c.command_line() + "' exited with " + std::to_string(*c.exit_code()) +
                                    ": " + c.output());
  return {};
}

}  // namespace tether::testing
