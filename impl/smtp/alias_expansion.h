#pragma once
// aliases(5) and virtual-table expansion for local delivery: which mailboxes
// (local users) and which addresses (mail to be routed again) a recipient
// stands for.
//
//   root:      jay, admin@example.net     a user and an address
//   postmaster: root                      aliases of aliases, recursively
//   jay:       jay, jay@backup.example    "jay" inside jay's own entry is the
//                                         user jay (keep a copy), not a loop
//   lists:     "|/usr/bin/mlmmj"          refused: tether runs no commands
//   archive:   /var/mail/archive          refused: nor writes files by alias
//
// Names are matched case-insensitively; "user+tag" looks up "user+tag" and
// then "user". A name with no entry is the local user of that name (lower-
// cased, tag dropped). A cycle through other names (a: b, b: a) and chains
// deeper than max_depth are errors: the table is broken and no delivery is
// right. Targets that cannot be delivered (commands, files, :include:,
// error:) are returned as refused, each with its reason, so the caller can
// deliver the rest and bounce those: nothing is ever executed or opened.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "smtp/table.h"

namespace tether::smtp {

struct AliasTarget {
  enum class Kind {
    local_user,  // a mailbox: look the user up and deliver
    address,     // user@domain: route again (often relayed)
  };
  Kind kind = Kind::local_user;
  std::string value;
  std::string via;  // "postmaster -> root -> jay", for logs and bounces
};

struct RefusedAliasTarget {
  std::string target;  // as written: "|/usr/bin/procmail"
  std::string reason;  // "alias 'lists': delivery to a command is not supported"
};

struct AliasExpansion {
  std::vector<AliasTarget> targets;  // without duplicates, in table order
  std::vector<RefusedAliasTarget> refused;
};

struct AliasOptions {
  char subaddress_delimiter = '+';
  int max_depth = 10;  // OpenSMTPD's EXPAND_DEPTH
  std::size_t max_targets = 1000;
};

// `alias <table>`: `local_part` is the recipient's local part.
Result<AliasExpansion> expand_aliases(const Table& aliases, std::string_view local_part,
                                      const AliasOptions& options = {});

// `virtual <table>`: keys are "user@domain", "@domain" (catch-all for the
// domain) or "@" (for everything); an address target is looked up again,
// a bare name is a local user. An address with no entry is returned as is.
Result<AliasExpansion> expand_virtual(const Table& virtual_table, std::string_view address,
                                      const AliasOptions& options = {});

}  // namespace tether::smtp
