#pragma once
// The second pass over a parsed config: every name used (tables, pkis, cas,
// filters, actions) must be defined, and every table must suit the lookups it
// is used for (a `src` table holds addresses, a `relay ... auth` table holds
// "user:password" values, a regex table compiles, ...). Done after the whole
// file is read so a use may come before the definition, and so errors say
// "used but never defined" at the use.

#include <set>
#include <string>
#include <vector>

#include "smtp/config.h"
#include "smtp/config_error.h"

namespace tether::smtp {

// Compiles the regex tables in place (hence non-const). `end_of_file` is where
// errors about the file as a whole ("no match rules") are reported. `broken`
// names definitions whose errors were already reported ("action:relay_in",
// "table:aliases", "filter:f", "pki:name"): their uses are not reported again.
std::vector<ConfigError> check_config(Config& config, const SourceLocation& end_of_file,
                                      const std::set<std::string>& broken = {});

}  // namespace tether::smtp
