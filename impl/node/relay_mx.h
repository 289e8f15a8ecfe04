#pragma once
// Which mail exchangers a relay action tries for a domain, and in what order:
// the MX records sorted by preference (lowest first, ties in the order the
// server gave), as OpenSMTPD's dns_dispatch_mx inserts them.
//
// `relay backup [mx NAME]` (a backup MX such as backup-relay-mx.txt's mx2)
// hands mail only to exchangers preferred to itself: those whose preference
// is strictly lower than the preference of its own name (NAME, or the host
// name) in the list. None lower is a temporary failure, "No MX found for
// destination", and the mail stays queued until a better MX takes it. When
// its own name is not in the list at all, the relay profile says what
// happens (smtp::BackupUnlisted): tether defers with a message that names
// the problem, as relaying could reach itself; OpenSMTPD takes every
// exchanger as a candidate, with a warning.
//
// No MX records at all: the domain itself is the exchanger (RFC 5321 5.1,
// the implicit MX), except for a backup, which has nobody to prefer. A null
// MX (RFC 7505: one record, exchange ".") means the domain takes no mail: a
// permanent failure.

#include <cstdint>
#include <string>
#include <vector>

#include "host/host.h"
#include "smtp/relay_profile.h"

namespace tether::node {

struct MxHop {
  std::string name;
  std::uint16_t preference = 0;
};

struct MxSelection {
  std::vector<MxHop> hops;  // in the order to try them
  std::string error;        // when hops is empty
  bool permanent = false;   // the error is permanent
  std::string warning;      // worth a log line even with hops (an unlisted backup's every_mx)
};

// `records` as the server gave them; `no_records` when the lookup said the
// domain has none (dns_no_data). `own_name` matters only for a backup.
MxSelection select_mx(const std::vector<MxRecord>& records, bool no_records, const std::string& domain, bool backup,
                      const std::string& own_name,
                      smtp::BackupUnlisted unlisted = smtp::BackupUnlisted::defer);

}  // namespace tether::node
