#pragma once
// The files a host is deployed with, read as tetherd reads them, in every
// world: a wg-quick tunnel config and an smtpd.conf. tetherd loads them at
// start, for `tetherd -n` and on reload; the ns-3 world loads each
// scenario host's files the same way when its apps start and when a
// change-config event hands it edited ones.
//
// Every problem is reported at once, each as "FILE:LINE: message"; a tunnel
// file whose PrivateKey others may read gets a warning, as wg-quick gives.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "smtp/config.h"
#include "tunnel/tunnel_config.h"

namespace tether::node {

struct TunnelFile {
  // The interface wg-quick would name after the file (NAME of .../NAME.conf),
  // unset when the file name is not a valid interface name.
  std::optional<std::string> interface_name;
  tunnel::TunnelConfig config;        // complete only when ok()
  std::vector<std::string> errors;    // "FILE:LINE: message"
  std::vector<std::string> warnings;  // "FILE:LINE: warning: message"
  bool ok() const { return errors.empty(); }
  std::string error_text() const;     // the errors, one per line
};

// Reads and checks a wg-quick file: readable, parses, holds a PrivateKey.
// Diagnostics name it `shown_as`, or as `path` is written when empty.
TunnelFile load_tunnel_file(const std::string& path, const std::string& shown_as = "");

struct RelayFile {
  std::shared_ptr<const smtp::Config> config;  // set when ok()
  // Where the files the config names (tables, includes, pki, ca) were read:
  // "/etc/mail/aliases" as ROOT/etc/mail/aliases; empty: as written.
  std::filesystem::path root;
  std::vector<std::string> errors;  // "FILE:LINE: message"
  bool ok() const { return errors.empty(); }
  std::string error_text() const;   // the errors, one per line
};

// Reads and parses an smtpd.conf, its tables and includes read below
// `root` (empty: as written). Diagnostics name it `shown_as`, or as `path`
// is written when empty.
RelayFile load_relay_file(const std::string& path, const std::filesystem::path& root,
                          const std::string& shown_as = "");

// The root a deployment tree's config sits in: the directory above the
// config's etc/ (scenarios/<name>/<host>/etc/mail/smtpd.conf ->
// scenarios/<name>/<host>), or the config's own directory.
std::filesystem::path config_root(const std::filesystem::path& file);

// wg-quick's rule: FILE must be .../NAME.conf with NAME a valid interface
// name (1-15 characters of [a-zA-Z0-9_=+.-]); nullopt otherwise.
std::optional<std::string> interface_name_from_path(const std::string& path);

}  // namespace tether::node
