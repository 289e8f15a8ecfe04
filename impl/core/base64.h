#pragma once
// RFC 4648 section 4 base64, strict: padding required, nothing but the
// alphabet, and the bits under the padding must be zero (one spelling per
// value). Shared by SASL in the SMTP session and WireGuard's key text.

#include <optional>
#include <string>
#include <string_view>

namespace tether {

// The value of one base64 character, or -1 if it is not in the alphabet.
int base64_sextet(char c);

std::string base64_encode(std::string_view bytes);

// nullopt unless `text` is canonical padded base64 (no spaces or line breaks).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tether
