#pragma once
// 32-byte keys as text, in exactly the form `wg genkey`, `wg pubkey` and
// wg-quick configs use: standard base64 (RFC 4648 alphabet with '+' and
// '/'), 44 characters ending in a single '='.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace tether::crypto {

constexpr std::size_t kBase64KeySize = 32;
constexpr std::size_t kBase64KeyTextSize = 44;
using Key32 = std::array<std::uint8_t, kBase64KeySize>;

std::string encode_base64_key(const Key32& key);

// Strict: no surrounding whitespace (config parsers trim values first),
// and the unused low bits of the last data character must be zero, as `wg`
// requires, so every key has exactly one textual form. Errors
// (ErrorCode::invalid_argument) name the problem, e.g.
//   "key is 43 characters, expected 44"
//   "invalid base64 character '!' at position 5"
//   "key decodes to 31 bytes, expected 32"
Result<Key32> decode_base64_key(std::string_view text);

}  // namespace tether::crypto
