#pragma once
// Runs a piece of a test as an ordinary user, so that a suite run as root
// can still check what the code does for someone without privileges (a
// refused TUN device, a control socket closed to others).

#include <functional>
#include <optional>
#include <string>

namespace tether::testing {

// The uid and gid of `nobody` on Debian.
inline constexpr unsigned kNobody = 65534;

// Forks; the child drops to nobody (no supplementary groups, no
// capabilities left), runs `body` and sends back what it returns. Returns
// nullopt, with the reason in `why` if given, when the child could not drop
// its privileges or did not finish. Only for root: an ordinary user cannot
// become nobody. The child must not use Boost.Test; the parent checks the
// text it gets back.
std::optional<std::string> run_as_nobody(const std::function<std::string()>& body, std::string* why = nullptr);

}  // namespace tether::testing
