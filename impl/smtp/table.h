#pragma once
// smtpd.conf tables and their lookups. A table is a list of keys or a mapping
// of keys to values, written inline (`{ a, b }`, `{ k = v }`, or a single
// value in place: `for domain "example.com"`) or read from a file
// (`table aliases file:/etc/mail/aliases`). What a value means depends on
// where the table is used, as in OpenSMTPD, so the formats are read by the
// helpers at the bottom, not when the table is loaded:
//   aliases(5)    root: jay, postmaster        (alias, virtual)
//   secrets       label user:password          (relay ... auth <t>)
//   credentials   user $2b$10$...              (listen ... auth <t>)
//
// Lookups follow OpenSMTPD's table_static: the first entry, in file order,
// that matches the key under the rule of the lookup's kind.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "smtp/config_error.h"
#include "smtp/posix_regex.h"

namespace tether::smtp {

enum class TableKind { list, mapping };

struct TableEntry {
  std::string key;
  std::string value;  // empty in a list
  int line = 0;       // in the file the entry came from (config or table file)
};

struct Table {
  std::string name;       // as declared, or "inline:FILE:LINE:N" for one written in place
  bool in_place = false;  // written where it is used: `for domain "example.com"`
  SourceLocation where;   // the declaration, or where the in-place table was written
  std::string path;     // file: tables: the file; empty for inline tables
  TableKind kind = TableKind::list;
  std::vector<TableEntry> entries;
  // Filled by compile_regexes() for tables used as `regex`; match_regex()
  // compiles on the fly when it is empty (tables built by hand in tests).
  std::shared_ptr<const std::vector<PosixRegex>> regexes;

  bool is_file() const { return !path.empty(); }
  // "table 'aliases'" or "inline table", for messages.
  std::string describe() const;

  // Exact key, case-insensitive (OpenSMTPD lower-cases keys as it loads them).
  const TableEntry* find(std::string_view key) const;
  // Domain names: case-insensitive, `*` in a key matches any run of
  // characters ("*.example.com"); OpenSMTPD's hostname_match().
  const TableEntry* match_domain(std::string_view domain) const;
  // Mail addresses: a key "user" matches the local part, "@domain" the domain,
  // "user@domain" both; "" or "@" matches everything. A "+tag" sub-address in
  // the looked-up address is ignored unless the key itself has one.
  const TableEntry* match_mail_address(std::string_view address, char subaddress_delimiter = '+') const;
  // Connection sources: keys are addresses or networks ("192.0.2.0/24",
  // "2001:db8::1", "[2001:db8:6969::2]", "IPv6:2001:db8::/48") or the word
  // "local", which is what a local (socket) source is looked up as.
  const TableEntry* match_source(const std::optional<IpAddress>& address) const;
  // POSIX extended regular expressions, unanchored.
  const TableEntry* match_regex(std::string_view text) const;

  Result<void> compile_regexes();
};

// Parses a source key as OpenSMTPD's text_to_netaddr() does, also accepting
// brackets around an IPv4 address. A bare address is a host prefix.
Result<IpPrefix> parse_network_address(std::string_view text);

// OpenSMTPD's hostname_match(): case-insensitive, `*` matches any run.
bool hostname_match(std::string_view hostname, std::string_view pattern);

// Splits "user@domain" at the last '@'; no '@' means a bare local part.
struct MailAddress {
  std::string user;
  std::string domain;
};
MailAddress split_mail_address(std::string_view address);

// aliases(5) values: "jay, postmaster" -> {"jay", "postmaster"}.
std::vector<std::string> split_alias_targets(std::string_view value);

// A secrets value "user:password" (the label is the key).
struct RelayCredentials {
  std::string user;
  std::string password;
};
Result<RelayCredentials> parse_relay_credentials(std::string_view value);

}  // namespace tether::smtp
