#include "scenario/message_headers.h"

#include <algorithm>
#include <sstream>

#include "smtp/header_fields.h"

namespace tether::scenario {

// The header section's unfolded fields, in order: the relay's own reading
// (smtp/header_fields.h), so the metrics and a relay's logged Message-ID agree.
std::vector<std::pair<std::string, std::string>> headers(const std::string& message) {
  return smtp::header_fields(message);
}

std::string message_id_of(const std::string& message) {
  for (const auto& [name, value] : headers(message))
    if (name == "message-id") return value;
  return "";
}

// "by NAME" of each Received: field, oldest hop first.
std::vector<std::string> hops(const std::string& message) {
  std::vector<std::string> out;
  for (const auto& [name, value] : headers(message)) {
    if (name != "received") continue;
    std::istringstream words(value);
    std::string w, prev;
    while (words >> w) {
      if (prev == "by") {
        out.push_back(w);
        break;
      }
      prev = w;
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace tether::scenario
