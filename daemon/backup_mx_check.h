#pragma once
// `tetherd -n` warns when a `relay backup` action will not find its own
// name among a domain's MX hosts (issue 14, hole 12). A backup relays only
// to the MX hosts preferred to itself, which it finds by its name in the
// domain's MX list (node/relay_mx.h): `relay backup mx NAME`, else the
// machine's host name. A host named "vm" is in no MX list; tetherd then
// defers that mail, and says why, at every try. The check asks the DNS
// once for each domain the action's match rules name, and warns (the DNS
// seen here may not be the one the relay will see), as OpenSMTPD's mta
// logs "Couldn't find backup preference" only when it relays.

#include <string>
#include <vector>

#include "smtp/config.h"

namespace tether::daemon {

// One "FILE:LINE: warning: ..." per (backup action, domain) whose MX list
// does not hold the name the action will use, or that could not be looked
// up. Asks this machine's resolver (a PosixHost of its own, made only when
// there is something to ask) and waits for every answer.
std::vector<std::string> backup_mx_warnings(const smtp::Config& config);

}  // namespace tether::daemon
