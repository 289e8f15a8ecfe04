#pragma once
// The shipped scenarios the lab world's tests build, read through the
// scenario library as tether-lab will read them, and the traces a run
// could leave on the machine (namespaces, /etc/netns, its run directory,
// processes), for the clean-up tests' "nothing left" checks.

#include <filesystem>
#include <string>
#include <vector>

#include "scenario/scenario.h"

namespace tether::lab::testing {

std::filesystem::path shipped_scenario(const std::string& name);  // "nat-expiry" -> .../scenarios/nat-expiry.yaml
// Loads a shipped scenario with overrides; fails the test with the
// parser's errors if it does not load.
scenario::Scenario load_shipped(const std::string& name, const std::vector<std::string>& overrides = {});
// The overrides every lab scenario needs for the NAT Linux can make
// (nat_plan.h): inbound packets refresh a mapping.
std::vector<std::string> linux_nat(std::vector<std::string> more = {});

// Everything on the machine named with `prefix`: entries of `ip netns
// list`, of /etc/netns and /run/tether-lab, processes whose command line
// names it, and nftables tables in the machine's namespace named like the
// lab's. Empty: the run left nothing.
std::vector<std::string> traces_of(const std::string& prefix);

}  // namespace tether::lab::testing
