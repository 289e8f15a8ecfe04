#pragma once
// A program a test runs next to the host under test (ping, dnsmasq, ip):
// started with fork/exec, its PID kept so that it and only it is killed, and
// its exit awaited through a pidfd rather than by sleeping.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace tether::testing {

class ChildProcess {
 public:
  // Runs argv[0] (searched in PATH) with stdout and stderr captured.
  static Result<std::unique_ptr<ChildProcess>> spawn(const std::vector<std::string>& argv);
  // Kills the process (SIGKILL) if it is still running, and reaps it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reaps the process if it has exited; true once it has.
  bool exited();
  // The exit code, or 128 + signal for a killed process; nullopt while running.
  std::optional<int> exit_code();
  // Blocks until exit or `limit`; true if it exited.
  bool wait_exit(Duration limit);
  // Blocks until the captured output contains `text`, the process exits, or
  // `limit` passes; true if the text appeared.
  bool wait_for_output(const std::string& text, Duration limit);
  // Everything captured so far (reads what is pending without blocking).
  const std::string& output();
  // Calls `fn` from `io`'s loop when the process exits, so a test can run
  // the host's loop until then without polling.
  void notify_on_exit(boost::asio::io_context& io, std::function<void()> fn);
  std::string command_line() const { return command_; }

 private:
  ChildProcess() = default;
  void read_available();

  pid_t pid_ = -1;
  int pidfd_ = -1;
  int output_fd_ = -1;
  std::optional<int> status_;
  std::string output_;
  std::string command_;
  std::shared_ptr<void> exit_watch_;
};

// Runs a command to completion (bounded by `limit`); an error names the
// command, its exit code and its output.
Result<void> run_command(const std::vector<std::string>& argv, Duration limit = Duration::seconds(10));

}  // namespace tether::testing
