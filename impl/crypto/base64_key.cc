#include "crypto/base64_key.h"

#include <openssl/crypto.h>

#include <cstdio>

namespace tether::crypto {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

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
  std::string out;
  out.reserve(kBase64KeyTextSize);
  std::size_t i = 0;
  for (; i + 3 <= key.size(); i += 3) {
    const std::uint32_t group = std::uint32_t(key[i]) << 16 | std::uint32_t(key[i + 1]) << 8 | key[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(group >> shift) & 63]);
  }
  // 32 = 10 * 3 + 2: the last two bytes make three characters and one '='.
  const std::uint32_t tail = std::uint32_t(key[i]) << 16 | std::uint32_t(key[i + 1]) << 8;
  out.push_back(kAlphabet[(tail >> 18) & 63]);
  out.push_back(kAlphabet[(tail >> 12) & 63]);
  out.push_back(kAlphabet[(tail >> 6) & 63]);
  out.push_back('=');
  return out;
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
    if (sextet_value(text[pos]) < 0)
      return key_error("invalid base64 character " + describe_char(text[pos]) + " at position " +
                       std::to_string(pos));
  }
  const std::size_t decoded_size = data_chars * 6 / 8;
  if (decoded_size != kBase64KeySize)
    return key_error("key decodes to " + std::to_string(decoded_size) + " bytes, expected " +
                     std::to_string(kBase64KeySize));

  Key32 key{};
  std::uint32_t accumulator = 0;
  int bits = 0;
  std::size_t out = 0;
  for (std::size_t pos = 0; pos < data_chars; ++pos) {
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(sextet_value(text[pos]));
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      key[out++] = static_cast<std::uint8_t>(accumulator >> bits);
    }
  }
  // 43 characters carry 258 bits; the 2 left over must be zero or the same
  // key would have four spellings (and `wg` rejects them too).
  const bool leftover_bits_set = (accumulator & ((1u << bits) - 1)) != 0;
  OPENSSL_cleanse(&accumulator, sizeof accumulator);
  if (leftover_bits_set) {
    OPENSSL_cleanse(key.data(), key.size());
    return key_error("key's last character '" + std::string(1, text[data_chars - 1]) +
                     "' sets bits beyond the 32 bytes (not a canonical base64 key)");
  }
  return key;
}

}  // namespace tether::crypto
