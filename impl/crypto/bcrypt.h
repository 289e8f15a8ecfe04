#pragma once
// Password hashes for SMTP AUTH, in the crypt(3) format of OpenSMTPD's
// credentials tables ("user $2b$10$..."), via libxcrypt.

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/error.h"

namespace tether::crypto {

// True when password matches hash, false when it does not. The comparison
// of the recomputed hash is constant-time.
//
// Any scheme libxcrypt accepts verifies ($2b$/$2a$/$2y$ bcrypt, and e.g.
// $6$ SHA-512-crypt or $y$ yescrypt from other tools), because credential
// files are written by whatever tool the user had at hand. A hash libxcrypt
// cannot parse, or an obsolete scheme without a "$id$" prefix (DES crypt,
// trivially brute-forced), is an error (ErrorCode::invalid_argument), so a
// typo in a credentials file is reported rather than silently never
// matching. Note that bcrypt only uses a password's first 72 bytes.
Result<bool> verify_password(std::string_view password, std::string_view hash);

// A new "$2b$<cost>$..." bcrypt hash (for `tetherctl encrypt`). The salt
// comes from the caller's random bytes (at least 16 are needed) so that
// nothing here draws randomness itself. cost is bcrypt's log2 rounds, 4-31.
Result<std::string> make_bcrypt_hash(std::string_view password, ByteView random_salt, int cost = 10);

}  // namespace tether::crypto
