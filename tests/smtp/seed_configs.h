#pragma once
// The seeds' configs (tests/smtp/seed_configs/, see its README) and who each
// machine is, for the tests.

#include <memory>
#include <string>
#include <vector>

#include "smtp/config_parser.h"
#include "smtp/router.h"

namespace tether::smtp::testing {

// "namorar", "carinho", "mimando", "mx2", "lan-collector", "lan-client".
const std::vector<std::string>& seed_machines();

// SMTP_SEED_CONFIG_DIR/<machine>
std::string seed_dir(const std::string& machine);

// Parses <machine>/smtpd.conf, its table files read from <machine>/etc/...
ConfigParseResult parse_seed(const std::string& machine);

// The machine's host name and addresses, from the seeds' diagrams.
LocalIdentity seed_identity(const std::string& machine);

// A router over the parsed config; fails the test if it does not load.
Router seed_router(const std::string& machine);

// A loader over in-memory files, for malformed-config tests.
ConfigFileLoader memory_loader(std::vector<std::pair<std::string, std::string>> files);

}  // namespace tether::smtp::testing
