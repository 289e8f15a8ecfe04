#include "crypto/base64_key.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>

#include "core/base64.h"

namespace tether::crypto {
namespace {

// Printable characters are quoted as they are; others as an escape, so a
// stray NUL or newline is visible in the message.
std::string describe_char(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", u);
  return buf;
}

Error key_error(std::string message) {
  return Error(ErrorCode::invalid_argument, std::move(message));
}

}  // namespace

std::string encode_base64_key(const Key32& key) {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

// Unlike `wg`, not constant-time: keys are decoded once, from the local
// config by the host that owns them, which offers no timing oracle.
Result<Key32> decode_base64_key(std::string_view text) {
  if (text.size() != kBase64KeyTextSize)
    return key_error("key is " + std::to_string(text.size()) + " characters, expected " +
                     std::to_string(kBase64KeyTextSize));

  // Padding may only form a suffix; everything before it must be alphabet.
  std::size_t data_chars = text.size();
  while (data_chars > 0 && text[data_chars - 1] == '=') --data_chars;
  for (std::size_t pos = 0; pos < data_chars; ++pos) {
    if (base64_sextet(text[pos]) < 0)
      return key_error("invalid base64 character " + describe_char(text[pos]) + " at position " +
                       std::to_string(pos));
  }
  const std::size_t decoded_size = data_chars * 6 / 8;
  if (decoded_size != kBase64KeySize)
    return key_error("key decodes to " + std::to_string(decoded_size) + " bytes, expected " +
                     std::to_string(kBase64KeySize));

  // The checks above give the precise complaint; what can still fail here
  // is a last character that sets bits beyond the 32 bytes, which would give
  // the same key four spellings (and `wg` rejects it too).
  std::optional<std::string> bytes = base64_decode(text);
  if (!bytes) {
    return key_error("key's last character '" + std::string(1, text[data_chars - 1]) +
                     "' sets bits beyond the 32 bytes (not a canonical base64 key)");
  }
  Key32 key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return key;
}

}  // namespace tether::crypto
