#pragma once
// What the lab ran for each host (lab.json's "hosts", written by tether-lab)
// and the tether-sim overrides that put the simulated host on the profile of
// that implementation, so that the two worlds compare like with like
// (issue 12: "the sim runs each host on the profile of the implementation
// that the lab ran for it").
//
// A host's record is a string ("tetherd (linux profile)") or an object whose
// string values describe it; the implementation is recognised by name:
//   - "opensmtpd": Debian's OpenSMTPD ran the relay -> hosts.NAME.profile=opensmtpd
//   - "postfix": Postfix ran it -> hosts.NAME.profile=postfix
//   - tetherd: its relay ran the scenario's own profile (lab/nodes writes
//     `profile NAME` into the smtpd.conf), so the simulation keeps it.
// A tunnel is Linux-family WireGuard whether tetherd or wireguard-go ran it
// (the lab refuses `os: openbsd`), so a tunnel host is set to os=linux.

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "scenario/scenario.h"

namespace tether::lab {

struct HostImplementation {
  std::string host;
  std::string lab;                         // the record as lab.json gives it
  std::vector<std::string> sim_overrides;  // "hosts.NAME.profile=opensmtpd", ...
};

// Fails naming lab.json and the host whose record is missing or unreadable.
Result<std::vector<HostImplementation>> read_lab_implementations(const std::filesystem::path& lab_json,
                                                                 const scenario::Scenario& scenario);

// The overrides for one host, given its record's text (lower-cased inside).
std::vector<std::string> sim_overrides_for(const scenario::HostSpec& host, const std::string& record);

}  // namespace tether::lab
