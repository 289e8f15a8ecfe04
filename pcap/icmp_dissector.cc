#include "pcap/icmp_dissector.h"

#include <cstdint>

#include "core/endpoint.h"

namespace tether::pcap {

namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// RFC 8200 4: the extension headers an error's quote may carry before the
// transport header (hop-by-hop, routing, destination options; fragment).
bool v6_extension(std::uint8_t next) { return next == 0 || next == 43 || next == 60 || next == 44; }

}  // namespace

std::string ip_protocol_text(std::uint8_t protocol) {
  switch (protocol) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "icmp6";
    default: return "proto " + std::to_string(protocol);
  }
}

std::string unreachable_code_name(bool v6, std::uint8_t code) {
  if (v6) {  // RFC 4443 3.1
    switch (code) {
      case 0: return "no-route";
      case 1: return "admin";
      case 2: return "beyond-scope";
      case 3: return "host";  // address unreachable
      case 4: return "port";
      case 5: return "source-policy";
      case 6: return "reject-route";
      default: break;
    }
  } else {  // RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1
    switch (code) {
      case 0: return "net";
      case 1: return "host";
      case 2: return "protocol";
      case 3: return "port";
      case 4: return "frag-needed";
      case 5: return "source-route";
      case 6: return "net-unknown";
      case 7: return "host-unknown";
      case 9: return "net-prohibited";
      case 10: return "host-prohibited";
      case 11: return "net-tos";
      case 12: return "host-tos";
      case 13: return "admin";
      case 14: return "precedence-violation";
      case 15: return "precedence-cutoff";
      default: break;
    }
  }
  return "code " + std::to_string(code);
}

std::string describe_quoted_packet(ByteView q, bool v6, std::string& problem) {
  std::uint8_t protocol = 0;
  IpAddress from, to;
  std::size_t header = 0;
  if (!v6) {
    if (q.size() < 20 || (q[0] >> 4) != 4) {
      problem = "the quoted packet is not an IPv4 header (" + std::to_string(q.size()) + " bytes)";
      return {};
    }
    header = std::size_t(q[0] & 0x0f) * 4;
    if (header < 20) {
      problem = "the quoted IPv4 header length is " + std::to_string(header);
      return {};
    }
    protocol = q[9];
    from = IpAddress::v4_bytes(q.data() + 12);
    to = IpAddress::v4_bytes(q.data() + 16);
  } else {
    if (q.size() < 40 || (q[0] >> 4) != 6) {
      problem = "the quoted packet is not an IPv6 header (" + std::to_string(q.size()) + " bytes)";
      return {};
    }
    protocol = q[6];
    from = IpAddress::v6_bytes(q.data() + 8);
    to = IpAddress::v6_bytes(q.data() + 24);
    header = 40;
    for (int hops = 0; v6_extension(protocol) && hops < 8; ++hops) {
      if (q.size() < header + 8) break;
      std::uint8_t next = q[header];
      header += protocol == 44 ? 8 : (std::size_t(q[header + 1]) + 1) * 8;
      protocol = next;
    }
  }
  std::string proto = ip_protocol_text(protocol);
  if ((protocol == 6 || protocol == 17) && q.size() >= header + 4) {
    Endpoint a(from, be16(q.data() + header)), b(to, be16(q.data() + header + 2));
    return proto + " " + a.to_string() + " -> " + b.to_string();
  }
  if (protocol == 6 || protocol == 17)
    problem = "the quote ends before the " + proto + " ports (" + std::to_string(q.size()) + " bytes)";
  return proto + " " + from.to_string() + " -> " + to.to_string();
}

bool icmp_error_kind(bool v6, std::uint8_t type, std::uint8_t code, std::string& kind, std::string& what) {
  if (!v6) {
    switch (type) {
      case 3: kind = "unreachable"; what = unreachable_code_name(false, code); break;
      case 4: kind = "source-quench"; break;
      case 5: kind = "redirect"; what = "code " + std::to_string(code); break;
      case 11: kind = "time-exceeded"; what = code == 0 ? "ttl" : "reassembly"; break;
      case 12: kind = "parameter-problem"; what = "code " + std::to_string(code); break;
      default: return false;
    }
  } else {
    switch (type) {
      case 1: kind = "unreachable"; what = unreachable_code_name(true, code); break;
      case 2: kind = "packet-too-big"; break;
      case 3: kind = "time-exceeded"; what = code == 0 ? "hop-limit" : "reassembly"; break;
      case 4: kind = "parameter-problem"; what = "code " + std::to_string(code); break;
      default: return false;
    }
  }
  return true;
}

void dissect_icmp(const IcmpMessage& m, DissectorOutput& out) {
  std::string kind, what;
  if (!icmp_error_kind(m.v6, m.type, m.code, kind, what)) return;
  std::string problem;
  std::string quoted = describe_quoted_packet(m.quoted, m.v6, problem);
  if (!problem.empty()) out.problem(m.origin, "icmp " + kind + ": " + problem);
  std::string detail = what;
  if (!quoted.empty()) detail += (detail.empty() ? "" : ": ") + quoted;
  out.add(m.origin, m.source.to_string(), m.destination.to_string(), "icmp", kind, std::move(detail));
}

}  // namespace tether::pcap
