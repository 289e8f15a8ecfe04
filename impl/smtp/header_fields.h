#pragma once
// A message's header section (RFC 5322 2.2) read as unfolded fields: how
// the relay learns the Message-ID of a message it accepts (logged with its
// message_accepted event) and how the scenario's metrics read a delivered
// file (scenario/message_headers.h). Only the header section is read: it
// ends at the first empty line.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::smtp {

// The unfolded fields, in order, names lower-cased, values with leading
// white space trimmed. A line that is neither a field nor a continuation is
// skipped.
std::vector<std::pair<std::string, std::string>> header_fields(std::string_view message);

// The first field named `name` (any case); empty if there is none.
std::string header_field(std::string_view message, std::string_view name);

}  // namespace tether::smtp
