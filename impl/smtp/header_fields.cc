#include "smtp/header_fields.h"

#include "core/ascii.h"

namespace tether::smtp {

std::vector<std::pair<std::string, std::string>> header_fields(std::string_view message) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = 0;
  while (at < message.size()) {
    std::size_t end = message.find('\n', at);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the end of the header section
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      const auto text = line.find_first_not_of(" \t");
      if (text != std::string_view::npos) out.back().second += " " + std::string(line.substr(text));
      else out.back().second += " ";
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    const auto start = value.find_first_not_of(" \t");
    out.emplace_back(ascii_lower(line.substr(0, colon)),
                     start == std::string_view::npos ? std::string() : std::string(value.substr(start)));
  }
  return out;
}

std::string header_field(std::string_view message, std::string_view name) {
  for (auto& [field, value] : header_fields(message))
    if (ascii_iequals(field, name)) return std::move(value);
  return "";
}

}  // namespace tether::smtp
