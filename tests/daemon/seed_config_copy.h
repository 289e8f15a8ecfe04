#pragma once
// A seed machine's smtpd.conf tree (tests/smtp/seed_configs/NAME) copied
// into a test's directory, with the pki files it names made there: the
// seeds ship no certificates, and `tetherd -n` loads every pki as `smtpd -n`
// does. Each pki NAME gets a self-signed certificate for NAME and its key.

#include <filesystem>
#include <string>

namespace tether::testing {

// Copies `seed_dir` to `into` and writes each `pki NAME cert|key "PATH"` of
// its smtpd.conf at into/PATH. Returns `into`, the config root to pass.
std::filesystem::path copy_seed_with_pki(const std::filesystem::path& seed_dir, const std::filesystem::path& into);

}  // namespace tether::testing
