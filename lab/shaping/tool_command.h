#pragma once
// Runs the system tools that shape a link (iptables, ip6tables, tc, ip),
// inside a named network namespace when one is given (`ip netns exec`),
// and returns what they printed; an error names the command line and
// carries its output, so a refused rule says why.

#include <string>
#include <vector>

#include "core/error.h"

namespace tether::lab {

// `netns` empty: the caller's namespace.
Result<std::string> run_tool(const std::string& netns, const std::vector<std::string>& argv);

}  // namespace tether::lab
