#pragma once
// The smtpd.conf Debian's OpenSMTPD 6.8 runs for a lab host on
// `implementation: opensmtpd`: the scenario's own file (tetherd's dialect is
// OpenSMTPD's), copied line for line so that every line number OpenSMTPD
// reports is the scenario file's, with what only the machine differs in
// written in:
//   - `listen on egress`: OpenBSD's interface group of the default route;
//     Linux has no interface groups (6.8 says "invalid virtual ip or
//     interface: egress"). The line names the namespace's default-route
//     interface; the host's other non-loopback interfaces (a sender's
//     submission link) get the same listen line appended after the file's
//     last line, as tetherd listens on every non-loopback address for
//     egress (daemon/interface_addresses.cc);
//   - absolute paths (`file:/etc/mail/aliases`, pki `cert "/etc/ssl/..."`)
//     that exist below the host's config root (node::config_root) point
//     there, where the simulation and tetherd read them.
//
// Refused, naming the scenario file's line, before anything runs: a
// listener with STARTTLS or SMTPS (6.8 cannot serve TLS with OpenSSL 3: its
// privilege-separated key engine loses the private key, OpenSMTPD issues
// #1171 and #1239, fixed in 7.x; see tests/interop/smtp_opensmtpd_test.cc),
// and every line OpenSMTPD's own parser rejects (`smtpd -n`), tether's own
// statements among them (`profile`, `queue retry`, ...).

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "lab/world/command.h"

namespace tether::lab {

// The copy's text. `interfaces`: the host's non-loopback interfaces, the
// default route's first (empty: `egress` is left alone).
std::string opensmtpd_conf_text(const std::string& conf, const std::filesystem::path& config_root,
                                const std::vector<std::string>& interfaces);

// "FILE:LINE: FIELD: why" for each listener asking for TLS.
std::vector<std::string> opensmtpd_tls_refusals(const std::string& conf, const std::string& file,
                                                const std::string& field);

// `smtpd -n`'s complaints about `copy`, each "COPY:LINE: ..." turned into
// "FILE:LINE: FIELD: ... (OpenSMTPD 6.8's parser)"; lines without a file
// and line (an unknown interface) are kept, prefixed with FIELD.
std::vector<std::string> opensmtpd_parser_refusals(const std::string& output, const std::string& copy,
                                                   const std::string& file, const std::string& field);

// Writes DIR/smtpd.conf for the scenario file `original` (FIELD names it in
// errors), then has OpenSMTPD check it with `check` (runs argv in the
// host's namespace, where the interfaces exist). `tunnel`: the host's
// tunnel interface, which tetherd makes only once it runs (before smtpd):
// 6.8's "invalid virtual ip or interface" for it is not a refusal. Every
// refusal, one line each, as an unsupported error.
Result<std::filesystem::path> write_opensmtpd_conf(
    const std::filesystem::path& original, const std::string& field, const std::filesystem::path& directory,
    const std::vector<std::string>& interfaces, const std::string& tunnel,
    const std::function<CommandResult(const std::vector<std::string>&)>& check);

}  // namespace tether::lab
