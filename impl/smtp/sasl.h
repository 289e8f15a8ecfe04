#pragma once
// The two SASL mechanisms the server offers (RFC 4954, over TLS only):
// PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login). Their base64 is
// core's strict codec (RFC 4648 4, padding required, nothing else allowed).

#include <optional>
#include <string>
#include <string_view>

#include "core/base64.h"

namespace tether::smtp {

using tether::base64_decode;
using tether::base64_encode;

struct PlainCredentials {
  std::string authzid;  // usually empty
  std::string authcid;  // the user
  std::string password;
};
// "authzid NUL authcid NUL passwd", already base64-decoded. nullopt when the
// shape is wrong or authcid/password are empty.
std::optional<PlainCredentials> parse_sasl_plain(std::string_view message);

}  // namespace tether::smtp
