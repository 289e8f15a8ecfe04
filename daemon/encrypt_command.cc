#include "daemon/encrypt_command.h"

#include <openssl/rand.h>

#include <array>

#include "crypto/bcrypt.h"

namespace tether::control {

Result<std::string> encrypt_password_text(std::string_view input) {
  std::string_view password = input;
  if (!password.empty() && password.back() == '\n') password.remove_suffix(1);
  if (!password.empty() && password.back() == '\r') password.remove_suffix(1);
  if (password.empty()) return Error(ErrorCode::invalid_argument, "empty password");
  if (password.find('\n') != std::string_view::npos)
    return Error(ErrorCode::invalid_argument, "the password is more than one line");
  std::array<std::uint8_t, 16> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    return Error(ErrorCode::crypto, "no random bytes for the salt");
  auto hash = crypto::make_bcrypt_hash(password, ByteView(salt.data(), salt.size()), 10);
  if (!hash) return hash.error();
  return *hash + "\n";
}

}  // namespace tether::control
