#include "crypto/bcrypt.h"

#include <crypt.h>

#include <cstring>
#include <memory>

#include "crypto/constant_time.h"

namespace tether::crypto {
namespace {

constexpr std::size_t kBcryptSaltBytes = 16;

// struct crypt_data is ~32 KiB: too big for a coroutine's or a small
// thread's stack, so it lives on the heap, and it is wiped afterwards
// because it held the password and intermediate state.
struct CryptScratch {
  crypt_data data;
  CryptScratch() { std::memset(&data, 0, sizeof data); }
  ~CryptScratch() { secure_wipe(MutableByteView(reinterpret_cast<std::uint8_t*>(&data), sizeof data)); }
};

// crypt(3) takes C strings: an embedded NUL would silently cut the
// password short, so it is refused rather than truncated.
bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

// libxcrypt reports failure with a string starting with '*' ("*0", "*1"),
// which can never equal a real hash, or with a null pointer.
bool crypt_failed(const char* result) {
  return result == nullptr || result[0] == '*';
}

}  // namespace

Result<bool> verify_password(std::string_view password, std::string_view hash) {
  if (hash.empty() || hash[0] != '$')
    return Error(ErrorCode::invalid_argument,
                 "password hash must start with a \"$id$\" scheme prefix such as $2b$");
  if (has_nul(password) || has_nul(hash))
    return Error(ErrorCode::invalid_argument, "password or hash contains a NUL byte");

  auto scratch = std::make_unique<CryptScratch>();
  std::string password_copy(password);
  const std::string hash_copy(hash);
  const char* computed = crypt_r(password_copy.c_str(), hash_copy.c_str(), &scratch->data);
  secure_wipe(password_copy);
  if (crypt_failed(computed)) {
    std::string shown(hash.substr(0, 7));
    return Error(ErrorCode::invalid_argument,
                 "malformed or unsupported password hash (starts \"" + shown + "...\")");
  }
  return constant_time_equal(ByteView(std::string_view(computed)), ByteView(hash));
}

Result<std::string> make_bcrypt_hash(std::string_view password, ByteView random_salt, int cost) {
  if (random_salt.size() < kBcryptSaltBytes)
    return Error(ErrorCode::invalid_argument,
                 "bcrypt needs 16 random salt bytes, got " + std::to_string(random_salt.size()));
  if (cost < 4 || cost > 31)
    return Error(ErrorCode::invalid_argument, "bcrypt cost " + std::to_string(cost) + " is outside 4-31");
  if (has_nul(password)) return Error(ErrorCode::invalid_argument, "password contains a NUL byte");

  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost),
                       reinterpret_cast<const char*>(random_salt.data()), static_cast<int>(kBcryptSaltBytes),
                       setting, sizeof setting) == nullptr)
    return Error(ErrorCode::internal, "crypt_gensalt_rn refused the bcrypt settings");

  auto scratch = std::make_unique<CryptScratch>();
  std::string password_copy(password);
  const char* computed = crypt_r(password_copy.c_str(), setting, &scratch->data);
  secure_wipe(password_copy);
  if (crypt_failed(computed))
    return Error(ErrorCode::internal, "crypt_r failed to hash with " + std::string(setting));
  return std::string(computed);
}

}  // namespace tether::crypto
