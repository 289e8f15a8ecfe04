// Child processes with SIGINT/SIGTERM passed on (world_process.h).

#include "lab/compare/world_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace tether::lab {
namespace {

volatile sig_atomic_t g_running = 0;  // a child is being started or waited for
volatile sig_atomic_t g_child = 0;
volatile sig_atomic_t g_signal = 0;

void on_stop_signal(int signal) {
  if (!g_running) {  // nothing to pass it to: end now, as without the handler
    ::signal(signal, SIG_DFL);
    raise(signal);
    return;
  }
  if (!g_signal) {
    g_signal = signal;
    // Its own group: only tether-compare saw the terminal's signal.
    if (g_child > 0) kill(static_cast<pid_t>(g_child), signal);
  }
}

// Only async-signal-safe calls between fork and exec: the argument vector
// is made before the fork.
[[noreturn]] void exec_child(char* const* args, int output_fd) {
  setpgid(0, 0);
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  dup2(output_fd, 1);
  dup2(output_fd, 2);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  execv(args[0], args);
  static const char why[] = "tether-compare: cannot run the program (execv failed)\n";
  (void)!write(2, why, sizeof why - 1);
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
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  g_running = 1;
  const pid_t pid = fork();
  if (pid < 0) {
    g_running = 0;
    close(fds[0]);
    close(fds[1]);
    return outcome;
  }
  if (pid == 0) exec_child(args.data(), fds[1]);
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
  g_running = 0;
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
