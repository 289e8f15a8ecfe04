#pragma once
// Running the tools the lab is made with (`ip`, `nft`, `sysctl`, dnsmasq)
// and waiting for them. The child starts with no signal blocked, whatever
// the caller blocked: the lab's signal thread (signal_cleanup.h) blocks
// SIGINT and SIGTERM in every thread, and a tool must still die of them.

#include <string>
#include <vector>

namespace tether::lab {

struct CommandResult {
  int exit_code = -1;  // 128 + signal if killed; -1 if it could not run
  std::string output;  // stdout and stderr together, in order
  bool ok() const { return exit_code == 0; }
  // "ip netns add x: exit 1: Cannot create namespace ..." for errors.
  std::string describe(const std::vector<std::string>& argv) const;
};

// Runs argv[0] (searched in PATH and the sbin directories) to completion.
CommandResult run_command(const std::vector<std::string>& argv);

// argv run inside the named network namespace (`ip netns exec`, which also
// bind-mounts /etc/netns/NAME/* over /etc for the command).
std::vector<std::string> in_namespace(const std::string& ns, std::vector<std::string> argv);

}  // namespace tether::lab
