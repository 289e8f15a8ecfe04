#pragma once
// The two SASL mechanisms the server offers (RFC 4954, over TLS only):
// PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login), with their
// base64 (RFC 4648 4, padding required, nothing else allowed).

#include <optional>
#include <string>
#include <string_view>

namespace tether::smtp {

std::string base64_encode(std::string_view bytes);
// nullopt unless `text` is canonical padded base64 (no spaces or line breaks).
std::optional<std::string> base64_decode(std::string_view text);

struct PlainCredentials {
  std::string authzid;  // usually empty
  std::string authcid;  // the user
  std::string password;
};
// "authzid NUL authcid NUL passwd", already base64-decoded. nullopt when the
// shape is wrong or authcid/password are empty.
std::optional<PlainCredentials> parse_sasl_plain(std::string_view message);

}  // namespace tether::smtp
