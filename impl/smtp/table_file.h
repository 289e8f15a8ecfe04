#pragma once
// The text format of `file:` tables, as OpenSMTPD's parse_table_line() reads
// it (the format makemap(8) and newaliases(8) read too):
//   - blank lines and lines starting with '#' are skipped; a first comment
//     "# @list" makes the table a list;
//   - otherwise the first entry decides: a key alone makes a list, a key
//     followed by a value (after blanks or a ':') makes a mapping;
//   - in a list the whole trimmed line is the key; in a mapping the key ends
//     at the first blank or ':' (or after "[...]") and the rest is the value.
// So "root: jay, postmaster" (aliases), "mailuser mailuser:foobar" (secrets)
// and "mailuser $2b$10$..." (credentials) are all mappings.
// Sans-IO: the caller supplies the text.

#include <string>
#include <string_view>
#include <vector>

#include "smtp/config_error.h"
#include "smtp/table.h"

namespace tether::smtp {

struct TableFileContents {
  TableKind kind = TableKind::mapping;  // an empty file is a mapping, as in OpenSMTPD
  std::vector<TableEntry> entries;
  std::vector<ConfigError> errors;      // "/etc/mail/aliases:3: ..."
};

TableFileContents parse_table_file(std::string_view text, const std::string& path);

}  // namespace tether::smtp
