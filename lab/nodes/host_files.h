#pragma once
// A scenario host's effective deployment files for the lab: tetherd reads
// files, so the scenario's overrides are written into copies of the host's
// tunnel and relay files, in the files' own syntax, as the simulation
// applies them to what it loaded (sim/host_files.h):
//   hosts.NAME.persistent_keepalive  every [Peer] gets `PersistentKeepalive = N`
//                                    in place of its own
//   hosts.NAME.profile               the smtpd.conf gets `profile NAME` in place
//                                    of its own; knobs it writes still win
// Table files, includes and pki files the smtpd.conf names stay where the
// simulation finds them: below the original file's config root
// (node::config_root), which tetherd is given as --config-root.
//
// What tetherd cannot run (a host on the `os: openbsd` timer profile:
// tetherd has no option for it, daemon/tetherd_options.h) is refused with
// a line naming the field, never replaced by something else.
// Needs no root; touches only `directory`.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "scenario/scenario.h"
#include "smtp/relay_profile.h"

namespace tether::lab {

struct HostFiles {
  std::filesystem::path tunnel;       // DIR/<interface>.conf; empty: the host has no tunnel
  std::filesystem::path relay;        // DIR/smtpd.conf; empty: no mail server
  std::filesystem::path config_root;  // for --config-root; empty without a relay
};

// The text of a wg-quick file with every [Peer]'s PersistentKeepalive set
// to `seconds` (0: off), the file's own keepalive lines dropped.
std::string with_keepalive(const std::string& wg_quick, std::uint16_t seconds);
// The text of an smtpd.conf with `profile NAME` as its first statement, the
// file's own `profile` lines dropped.
std::string with_profile(const std::string& smtpd_conf, smtp::RelayProfile profile);

// Why tetherd cannot be the host the scenario describes, one line per
// field, "FILE:LINE: hosts.NAME.FIELD: why"; empty if it can.
std::vector<std::string> refusals(const scenario::Scenario& scenario, const scenario::HostSpec& host);

// The local users the relay's file tables deliver to: every value of a
// `table NAME file:PATH` entry ("test: jay" gives jay) that is a plain
// user name. tetherd delivers to system users (getpwnam): the lab gives
// each host these users, with their homes in its state directory.
std::vector<std::string> table_users(const HostFiles& files);

// Writes the host's effective files into `directory` (created) and checks
// them as tetherd will (node/deployment_files.h); a host on
// `implementation: opensmtpd` gets its tunnel file only (its smtpd.conf is
// opensmtpd_config.h's); errors name the field
// that gave the file ("hosts.carinho.tunnel: wg0.conf:3: ...") or the
// refusal.
Result<HostFiles> write_host_files(const scenario::Scenario& scenario, const scenario::HostSpec& host,
                                   const std::filesystem::path& directory);

}  // namespace tether::lab
