#include "scenario/message_headers.h"

#include <algorithm>
#include <sstream>

#include "core/ascii.h"

namespace tether::scenario {

// The header section's unfolded fields, in order.
std::vector<std::pair<std::string, std::string>> headers(const std::string& message) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(message);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += " " + line.substr(line.find_first_not_of(" \t"));
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    const auto start = value.find_first_not_of(" \t");
    out.emplace_back(ascii_lower(line.substr(0, colon)), start == std::string::npos ? "" : value.substr(start));
  }
  return out;
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
