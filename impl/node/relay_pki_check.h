#pragma once
// `tetherd -n` loads what a relay's TLS will load at start: every pki's
// certificate chain and private key (and that they belong together), and
// every ca's certificates, as `smtpd -n` does (OpenSMTPD's smtpd.c: with -n,
// main() calls load_pki_tree() and load_pki_keys() before "configuration
// OK", and load_pki_tree() fails on a missing or unloadable file). Without
// it a config naming files that do not exist passed the check, and the real
// start failed (issue 14, hole 6).

#include <filesystem>
#include <string>
#include <vector>

#include "smtp/config.h"

namespace tether::node {

// One "FILE:LINE: pki NAME: reason" (or "ca NAME") per file that does not
// load, files read below `config_root` when it is not empty.
std::vector<std::string> check_relay_pki_files(const smtp::Config& config,
                                               const std::filesystem::path& config_root);

}  // namespace tether::node
