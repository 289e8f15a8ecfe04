#pragma once
// The machine's interface names and their addresses (getifaddrs(3)), for
// the names smtpd.conf's `listen on` may use: "lo", "eth0", "wg0", and
// OpenSMTPD's group "egress", which tetherd takes to mean every address of
// every interface that is up and not a loopback. IPv6 link-local addresses
// are left out (they cannot be bound without a scope).

#include "node/relay_listener.h"

namespace tether::daemon {

node::InterfaceAddresses system_interface_addresses();

}  // namespace tether::daemon
