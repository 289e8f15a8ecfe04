// Child processes with SIGINT/SIGTERM passed on (world_process.h).

#include "lab/compare/world_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tether::lab {
namespace {

volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_signal = 0;

void on_stop_signal(int signal) {
  if (!g_signal) {
    g_signal = signal;
    // Its own group: only tether-compare saw the terminal's signal.
    if (g_child > 0) kill(static_cast<pid_t>(g_child), signal);
  }
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv, int output_fd) {
  setpgid(0, 0);
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  dup2(output_fd, 1);
  dup2(output_fd, 2);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  const std::string why = "cannot run " + argv[0] + ": " + std::string(strerror(errno)) + "\n";
  (void)!write(2, why.data(), why.size());
  _exit(127);
}

}  // namespace

void forward_stop_signals_to_children() {
  static std::atomic<bool> installed{false};
  if (installed.exchange(true)) return;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

ProcessOutcome run_world_process(const std::vector<std::string>& argv) {
  ProcessOutcome outcome;
  int fds[2];
  if (argv.empty() || pipe2(fds, O_CLOEXEC) != 0) return outcome;
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return outcome;
  }
  if (pid == 0) exec_child(argv, fds[1]);
  g_child = pid;
  // A signal that came between the fork and here is passed on now.
  if (g_signal) kill(pid, g_signal);
  close(fds[1]);
  char buf[4096];
  while (true) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      outcome.output.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return outcome;
}

int stop_signal_received() { return g_signal; }

void die_of(int signal) {
  ::signal(signal, SIG_DFL);
  raise(signal);
  std::_Exit(128 + signal);
}

}  // namespace tether::lab
