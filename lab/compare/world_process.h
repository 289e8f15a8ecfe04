#pragma once
// tether-lab and tether-sim run as child processes of tether-compare, one
// after the other. Each child gets a process group of its own, so a
// terminal's Ctrl-C reaches tether-compare alone, which passes SIGINT or
// SIGTERM on to the running child exactly once: tether-lab then removes its
// world (lab/world/signal_cleanup.h) before it dies of the signal, and
// tether-compare ends after it, killed by the same signal. Between the
// children (reading the results, comparing) a signal ends it at once.

#include <string>
#include <vector>

namespace tether::lab {

struct ProcessOutcome {
  int exit_code = -1;   // 128 + signal if killed; -1 if it could not be started
  std::string output;   // stdout and stderr together, in order
};

// Installs the SIGINT/SIGTERM forwarding (once, before the first child).
void forward_stop_signals_to_children();

// Runs argv (argv[0] a path) to its end with stdin from /dev/null.
ProcessOutcome run_world_process(const std::vector<std::string>& argv);

// The SIGINT or SIGTERM that came while a child ran; 0 if none.
int stop_signal_received();

// Ends this process as killed by `signal` (its default action).
[[noreturn]] void die_of(int signal);

}  // namespace tether::lab
