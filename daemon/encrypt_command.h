#pragma once
// `tetherctl encrypt [PASSWORD]`: a line for a `listen ... auth <table>`
// credentials table, as `smtpctl encrypt` prints it: a "$2b$10$..." bcrypt
// hash of the password with a fresh 16-byte salt from OpenSSL's RAND.

#include <string>
#include <string_view>

#include "core/error.h"

namespace tether::control {

// The hash and '\n'. `input` is the password as typed: one trailing "\n" or
// "\r\n" (from stdin) is not part of it. An empty password is refused.
Result<std::string> encrypt_password_text(std::string_view input);

}  // namespace tether::control
