#pragma once
// An optional allow-list for the packets inside the tunnel. WireGuard itself
// lets any traffic between peers' tunnel addresses through (the seed warns
// that this exposes every local service that listens on all interfaces);
// this lets a tether endpoint admit, say, only SMTP and ICMP, without a
// host firewall. With no rules, everything is allowed, as in WireGuard.
//
// Text form (the tether-only `AllowInner` key under [Interface]; several
// AllowInner lines add up):
//
//   AllowInner = RULE [, RULE]...
//   RULE       = [in | out] PROTOCOL [PORT | PORT-PORT] [local PREFIX] [remote PREFIX]
//   PROTOCOL   = tcp | udp | icmp | icmpv6 | any
//
// e.g. `AllowInner = in tcp 25, icmp local 10.8.0.2 remote 10.8.0.1`.
// Keywords are case-insensitive; a PREFIX without /len is one address.
//
// Meaning, for a packet going "in" (decrypted from the tunnel, towards this
// host) or "out" (from this host into the tunnel):
//  - `local` is this host's end (the destination of an inbound packet, the
//    source of an outbound one), `remote` the peer's end.
//  - A rule with a port names a service and admits its conversations both
//    ways: `in tcp 25` = connections to port 25 *here* (inbound packets to
//    port 25, and outbound packets from port 25); `out tcp 25` = connections
//    to port 25 *at the peer*; no direction = either. The filter keeps no
//    state, so a packet matched only as a reply (by its source port) may not
//    be a bare TCP SYN: the peer cannot open a connection to an arbitrary
//    port here by sending from port 25. UDP replies cannot be told from
//    requests, so UDP rules are as strict as the ports are.
//  - A rule without a port matches by protocol (and addresses) only; `in`
//    or `out` then restrict it to packets travelling that way.
//  - icmp is ICMP over IPv4 (protocol 1), icmpv6 ICMPv6 (next header 58);
//    any is every protocol. Port rules never match a non-first fragment
//    (it carries no ports).
// A packet is allowed if any rule matches it.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/error.h"
#include "tunnel/inner_packet.h"

namespace tether::tunnel {

enum class InnerDirection : std::uint8_t {
  inbound,   // decrypted from the tunnel, for the TUN device
  outbound,  // read from the TUN device, for the tunnel
};

struct InnerRule {
  enum class Direction : std::uint8_t { both, in, out };
  enum class Protocol : std::uint8_t { any, tcp, udp, icmp, icmpv6 };

  Direction direction = Direction::both;
  Protocol protocol = Protocol::any;
  std::optional<std::uint16_t> port_low;  // with port_high; tcp/udp only
  std::uint16_t port_high = 0;
  std::optional<IpPrefix> local;
  std::optional<IpPrefix> remote;

  bool matches(const InnerPacket& parsed, ByteView packet, InnerDirection direction) const;
  // The canonical text: "in tcp 25", "udp 5000-5010 remote 10.0.0.0/24".
  std::string to_string() const;
  bool operator==(const InnerRule& o) const;
};

class InnerFilter {
 public:
  // No rules: everything passes.
  InnerFilter() = default;

  // Parses the text form; errors name the rule and the word at fault.
  static Result<InnerFilter> parse(std::string_view text);
  static Result<InnerRule> parse_rule(std::string_view text);

  void add(const InnerRule& rule) { rules_.push_back(rule); }
  void add(const InnerFilter& more) { rules_.insert(rules_.end(), more.rules_.begin(), more.rules_.end()); }

  bool allows_all() const { return rules_.empty(); }
  bool allows(const InnerPacket& parsed, ByteView packet, InnerDirection direction) const;
  const std::vector<InnerRule>& rules() const { return rules_; }

  // Rules joined by ", "; parses back to the same filter. Empty if allows_all().
  std::string to_string() const;
  bool operator==(const InnerFilter& o) const { return rules_ == o.rules_; }

 private:
  std::vector<InnerRule> rules_;
};

std::ostream& operator<<(std::ostream& os, const InnerFilter& filter);

}  // namespace tether::tunnel
