#include "daemon/key_commands.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "crypto/base64_key.h"
#include "crypto/x25519.h"

namespace tether::control {

Result<std::string> generate_key_text(bool clamp) {
  std::array<std::uint8_t, 32> random{};
  std::size_t got = 0;
  while (got < random.size()) {
    ssize_t n = ::getrandom(random.data() + got, random.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error(ErrorCode::io, std::string("getrandom: ") + std::strerror(errno));
    got += std::size_t(n);
  }
  crypto::Key32 key = clamp ? crypto::private_key_from_random(random) : random;
  random.fill(0);
  std::string text = crypto::encode_base64_key(key) + "\n";
  key.fill(0);
  return text;
}

Result<std::string> public_key_text(std::string_view input) {
  const Error bad_format(ErrorCode::invalid_argument, "Key is not the correct length or format");
  if (input.size() < crypto::kBase64KeyTextSize) return bad_format;
  for (char c : input.substr(crypto::kBase64KeyTextSize)) {
    // wg skips NUL and isspace() characters after the key, nothing else.
    if (c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') continue;
    return Error(ErrorCode::invalid_argument, "Trailing characters found after key");
  }
  auto key = crypto::decode_base64_key(input.substr(0, crypto::kBase64KeyTextSize));
  if (!key) return bad_format;
  std::string text = crypto::encode_base64_key(crypto::derive_public_key(*key)) + "\n";
  key->fill(0);
  return text;
}

}  // namespace tether::control
