#pragma once
// The tunnel configuration file: wg-quick(8)'s INI format, so that a user's
// existing /etc/wireguard/wg0.conf loads as it is.
//
// Lines are parsed as wg(8) and wg-quick parse them: '#' starts a comment,
// section names and keys are case-insensitive, whitespace around '=' and
// inside wg's own values is ignored. Keys that wg-quick handles by running
// commands on the host (DNS, Table, FwMark, PreUp/PostUp/PreDown/PostDown,
// SaveConfig) are accepted and recorded, with a warning that tether does not
// act on them, instead of failing a config that works with wg-quick.
//
// The parser does no I/O and reports every error it finds, each as
// "FILE:LINE: Key: problem", so one run shows the user everything to fix.
//
// One key is tether's own: `AllowInner` under [Interface], the inner
// allow-list (inner_filter.h for its grammar), e.g.
//   AllowInner = in tcp 25, icmp local 10.8.0.2 remote 10.8.0.1
// Several AllowInner lines add up; none allows everything, as WireGuard.
// wg-quick does not know it, so a file that uses it is tether's alone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "crypto/base64_key.h"
#include "tunnel/inner_filter.h"

namespace tether::tunnel {

// A peer's Endpoint as written. The host may be a DNS name, resolved (and
// re-resolved when handshakes keep failing) by the node, never by the parser.
struct EndpointSpec {
  std::string host;                  // without brackets
  std::uint16_t port = 0;
  std::optional<IpAddress> address;  // set when host is an IP literal
  // "namorar.example.com:6900", "[2001:db8::1]:51820"
  std::string to_string() const;
  bool operator==(const EndpointSpec& o) const { return host == o.host && port == o.port; }
  bool operator!=(const EndpointSpec& o) const { return !(*this == o); }
};

struct InterfaceSection {
  int line = 0;  // of the [Interface] header
  std::optional<crypto::Key32> private_key;
  std::optional<std::uint16_t> listen_port;
  std::vector<IpPrefix> addresses;  // as written: host bits are the interface's own address
  std::optional<int> mtu;
  InnerFilter allow_inner;  // tether's AllowInner; no rules = allow all

  // Accepted for wg-quick compatibility; recorded and written back, not acted on.
  std::optional<std::uint32_t> fwmark;  // "off" is 0
  std::vector<std::string> dns;         // servers and search domains, in order
  std::optional<std::string> table;
  std::vector<std::string> pre_up, post_up, pre_down, post_down;
  std::optional<bool> save_config;
};

struct PeerSection {
  int line = 0;  // of the [Peer] header
  crypto::Key32 public_key{};
  std::optional<crypto::Key32> preshared_key;
  std::optional<EndpointSpec> endpoint;
  std::vector<IpPrefix> allowed_ips;    // host bits cleared, as wg does
  std::uint16_t persistent_keepalive = 0;  // seconds; 0 is off
};

struct TunnelConfig {
  InterfaceSection interface;
  std::vector<PeerSection> peers;
};

struct ConfigDiagnostic {
  std::string file;
  int line = 0;  // 0: about the file as a whole
  std::string message;
  // "wg0.conf:7: PublicKey: key is 43 characters, expected 44"
  std::string to_string() const;
};

struct TunnelConfigParse {
  TunnelConfig config;  // complete only when ok()
  std::vector<ConfigDiagnostic> errors;
  std::vector<ConfigDiagnostic> warnings;

  bool ok() const { return errors.empty(); }
  // Every error, one per line, as a single invalid_argument Error.
  Error error() const;
};

TunnelConfigParse parse_tunnel_config(std::string_view text, std::string_view file_name);

// wg-quick text that parses back to the same configuration (comments and
// the original spelling of keys are not kept). Contains the private key.
std::string to_wg_quick(const TunnelConfig& config);

}  // namespace tether::tunnel
