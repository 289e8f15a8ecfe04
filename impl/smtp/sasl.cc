#include "smtp/sasl.h"

#include <cstdint>

namespace tether::smtp {

std::optional<PlainCredentials> parse_sasl_plain(std::string_view message) {
  std::size_t a = message.find('\0');
  if (a == std::string_view::npos) return std::nullopt;
  std::size_t b = message.find('\0', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  if (message.find('\0', b + 1) != std::string_view::npos) return std::nullopt;
  PlainCredentials c;
  c.authzid = std::string(message.substr(0, a));
  c.authcid = std::string(message.substr(a + 1, b - a - 1));
  c.password = std::string(message.substr(b + 1));
  if (c.authcid.empty() || c.password.empty()) return std::nullopt;
  return c;
}

}  // namespace tether::smtp
