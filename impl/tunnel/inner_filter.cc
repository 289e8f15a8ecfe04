#include "tunnel/inner_filter.h"

#include <cctype>
#include <ostream>

#include "core/ascii.h"

namespace tether::tunnel {
namespace {

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + std::uint32_t(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return std::uint16_t(v);
}

bool is_number_start(std::string_view w) { return !w.empty() && w[0] >= '0' && w[0] <= '9'; }

const char* protocol_name(InnerRule::Protocol p) {
  switch (p) {
    case InnerRule::Protocol::any: return "any";
    case InnerRule::Protocol::tcp: return "tcp";
    case InnerRule::Protocol::udp: return "udp";
    case InnerRule::Protocol::icmp: return "icmp";
    case InnerRule::Protocol::icmpv6: return "icmpv6";
  }
  return "any";
}

bool protocol_matches(InnerRule::Protocol p, const InnerPacket& parsed) {
  if (p == InnerRule::Protocol::any) return true;
  if (!parsed.protocol) return false;
  switch (p) {
    case InnerRule::Protocol::tcp: return *parsed.protocol == ip_protocol::tcp;
    case InnerRule::Protocol::udp: return *parsed.protocol == ip_protocol::udp;
    case InnerRule::Protocol::icmp: return parsed.version == 4 && *parsed.protocol == ip_protocol::icmp;
    case InnerRule::Protocol::icmpv6: return parsed.version == 6 && *parsed.protocol == ip_protocol::icmpv6;
    case InnerRule::Protocol::any: return true;
  }
  return false;
}

bool prefix_matches(const std::optional<IpPrefix>& prefix, const IpAddress& address) {
  return !prefix || prefix->contains(address);
}

}  // namespace

bool InnerRule::matches(const InnerPacket& parsed, ByteView packet, InnerDirection way) const {
  const bool inbound = way == InnerDirection::inbound;
  if (!protocol_matches(protocol, parsed)) return false;
  const IpAddress& here = inbound ? parsed.destination : parsed.source;
  const IpAddress& there = inbound ? parsed.source : parsed.destination;
  if (!prefix_matches(local, here) || !prefix_matches(remote, there)) return false;

  if (!port_low) {
    if (direction == Direction::in) return inbound;
    if (direction == Direction::out) return !inbound;
    return true;
  }
  auto ports = transport_ports(parsed, packet);
  if (!ports) return false;
  auto in_range = [this](std::uint16_t port) { return port >= *port_low && port <= port_high; };
  const bool bare_syn = (ports->tcp_flags & (tcp_flag::syn | tcp_flag::ack)) == tcp_flag::syn;
  // The service port is on our side: requests come in to it, replies go out from it.
  const bool service_here = inbound ? in_range(ports->destination) : (in_range(ports->source) && !bare_syn);
  // The service port is at the peer: requests go out to it, replies come in from it.
  const bool service_there = inbound ? (in_range(ports->source) && !bare_syn) : in_range(ports->destination);
  switch (direction) {
    case Direction::in: return service_here;
    case Direction::out: return service_there;
    case Direction::both: return service_here || service_there;
  }
  return false;
}

std::string InnerRule::to_string() const {
  std::string s;
  if (direction == Direction::in) s += "in ";
  if (direction == Direction::out) s += "out ";
  s += protocol_name(protocol);
  if (port_low) {
    s += ' ' + std::to_string(*port_low);
    if (port_high != *port_low) s += '-' + std::to_string(port_high);
  }
  if (local) s += " local " + local->to_string();
  if (remote) s += " remote " + remote->to_string();
  return s;
}

bool InnerRule::operator==(const InnerRule& o) const {
  auto same_prefix = [](const std::optional<IpPrefix>& a, const std::optional<IpPrefix>& b) {
    return a.has_value() == b.has_value() && (!a || *a == *b);
  };
  return direction == o.direction && protocol == o.protocol && port_low == o.port_low &&
         (!port_low || port_high == o.port_high) && same_prefix(local, o.local) && same_prefix(remote, o.remote);
}

Result<InnerRule> InnerFilter::parse_rule(std::string_view text) {
  const std::vector<std::string_view> w = words(text);
  auto fail = [&text](const std::string& why) {
    return Error(ErrorCode::invalid_argument, "in rule '" + std::string(text) + "': " + why);
  };
  if (w.empty()) return Error(ErrorCode::invalid_argument, "empty rule");
  InnerRule rule;
  std::size_t i = 0;
  if (ascii_iequals(w[i], "in")) {
    rule.direction = InnerRule::Direction::in;
    ++i;
  } else if (ascii_iequals(w[i], "out")) {
    rule.direction = InnerRule::Direction::out;
    ++i;
  }
  if (i == w.size()) return fail("missing protocol (tcp, udp, icmp, icmpv6 or any)");
  bool known = false;
  for (auto p : {InnerRule::Protocol::any, InnerRule::Protocol::tcp, InnerRule::Protocol::udp,
                 InnerRule::Protocol::icmp, InnerRule::Protocol::icmpv6}) {
    if (ascii_iequals(w[i], protocol_name(p))) {
      rule.protocol = p;
      known = true;
    }
  }
  if (!known) return fail("unknown protocol '" + std::string(w[i]) + "' (expected tcp, udp, icmp, icmpv6 or any)");
  ++i;

  if (i < w.size() && is_number_start(w[i])) {
    if (rule.protocol != InnerRule::Protocol::tcp && rule.protocol != InnerRule::Protocol::udp)
      return fail("a port applies only to tcp or udp");
    std::string_view ports = w[i];
    std::size_t dash = ports.find('-');
    auto low = parse_port(ports.substr(0, dash));
    auto high = dash == std::string_view::npos ? low : parse_port(ports.substr(dash + 1));
    if (!low || !high) return fail("'" + std::string(ports) + "' is not a port (0-65535) or a range PORT-PORT");
    if (*high < *low) return fail("port range '" + std::string(ports) + "' runs backwards");
    rule.port_low = *low;
    rule.port_high = *high;
    ++i;
  }

  while (i < w.size()) {
    const bool is_local = ascii_iequals(w[i], "local");
    if (!is_local && !ascii_iequals(w[i], "remote"))
      return fail("unexpected '" + std::string(w[i]) + "' (expected 'local PREFIX' or 'remote PREFIX')");
    std::optional<IpPrefix>& slot = is_local ? rule.local : rule.remote;
    if (slot) return fail(std::string(w[i]) + " given twice");
    if (i + 1 == w.size()) return fail("missing address after '" + std::string(w[i]) + "'");
    auto prefix = IpPrefix::parse(w[i + 1]);
    if (!prefix) return fail(prefix.error().message);
    slot = prefix->network();
    i += 2;
  }
  const bool v4_only = rule.protocol == InnerRule::Protocol::icmp;
  const bool v6_only = rule.protocol == InnerRule::Protocol::icmpv6;
  for (const auto& p : {rule.local, rule.remote}) {
    if (p && ((v4_only && p->address().is_v6()) || (v6_only && p->address().is_v4())))
      return fail(std::string(protocol_name(rule.protocol)) + " cannot match an address of the other IP version");
  }
  if (rule.local && rule.remote && rule.local->address().family() != rule.remote->address().family())
    return fail("local and remote are of different IP versions");
  return rule;
}

Result<InnerFilter> InnerFilter::parse(std::string_view text) {
  InnerFilter filter;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    auto rule = parse_rule(item);
    if (!rule) return rule.error();
    filter.add(*rule);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return filter;
}

bool InnerFilter::allows(const InnerPacket& parsed, ByteView packet, InnerDirection direction) const {
  if (rules_.empty()) return true;
  for (const InnerRule& r : rules_)
    if (r.matches(parsed, packet, direction)) return true;
  return false;
}

std::string InnerFilter::to_string() const {
  std::string s;
  for (const InnerRule& r : rules_) {
    if (!s.empty()) s += ", ";
    s += r.to_string();
  }
  return s;
}

std::ostream& operator<<(std::ostream& os, const InnerFilter& filter) {
  return os << (filter.allows_all() ? std::string("(allow all)") : filter.to_string());
}

}  // namespace tether::tunnel
