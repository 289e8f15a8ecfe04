#pragma once
// Loading a tunnel config from disk: the one piece of the tunnel layer that
// touches the file system, kept apart so the parser itself stays pure.

#include <string>

#include "core/error.h"
#include "tunnel/tunnel_config.h"

namespace tether::tunnel {

// Reads and parses `path`; diagnostics name the file `shown_as`, or as
// `path` is written when that is empty.
// The Result fails only when the file cannot be read; a malformed file is a
// TunnelConfigParse with errors. A file that holds a PrivateKey and that
// group or others may read gets a warning, as wg-quick warns about a world-
// accessible config: the key is the tunnel's identity.
Result<TunnelConfigParse> load_tunnel_config_file(const std::string& path, const std::string& shown_as = "");

}  // namespace tether::tunnel
