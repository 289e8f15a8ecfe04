#include "pcap/tcpdump_line.h"

#include <cctype>
#include <vector>

#include "core/time.h"
#include "pcap/icmp_dissector.h"

namespace tether::pcap {
namespace {

constexpr std::int64_t kSecond = 1000'000'000;

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Decimal digits into a value no greater than `max`; nullopt otherwise.
std::optional<std::uint64_t> number(std::string_view s, std::uint64_t max = UINT64_MAX) {
  if (!all_digits(s) || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    const std::uint64_t digit = std::uint64_t(c - '0');
    if (v > (max - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// The words of `s`, split at blanks and (when `commas`) commas.
std::vector<std::string_view> words(std::string_view s, bool commas = false) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  auto separator = [&](char c) { return c == ' ' || c == '\t' || (commas && c == ','); };
  while (i < s.size()) {
    while (i < s.size() && separator(s[i])) ++i;
    std::size_t start = i;
    while (i < s.size() && !separator(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::string quoted(std::string_view s) { return "'" + std::string(s.substr(0, 60)) + "'"; }

// "07:41:33.301011" shaped: digits:digits:digits.digits. Shape and value are
// checked apart, so that a line starting with a time out of range is a
// problem rather than prose.
bool time_of_day_shape(std::string_view w) {
  const auto dot = w.find('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view hms = w.substr(0, dot);
  const auto c1 = hms.find(':'), c2 = hms.rfind(':');
  if (c1 == std::string_view::npos || c1 == c2) return false;
  return all_digits(hms.substr(0, c1)) && all_digits(hms.substr(c1 + 1, c2 - c1 - 1)) &&
         all_digits(hms.substr(c2 + 1)) && all_digits(w.substr(dot + 1));
}

// -tt's Unix seconds ("1765093293.301011"): at least 9 digits before the dot,
// so that prose starting with a number is not taken for one.
bool epoch_shape(std::string_view w) {
  const auto dot = w.find('.');
  return dot != std::string_view::npos && dot >= 9 && all_digits(w.substr(0, dot)) && all_digits(w.substr(dot + 1));
}

bool date_shape(std::string_view w) {
  return w.size() == 10 && w[4] == '-' && w[7] == '-' && all_digits(w.substr(0, 4)) && all_digits(w.substr(5, 2)) &&
         all_digits(w.substr(8, 2));
}

// The fraction after the dot as nanoseconds (tcpdump prints 6 digits, or 9
// with --nano).
std::optional<std::int64_t> fraction_ns(std::string_view digits) {
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  std::int64_t v = std::int64_t(*number(digits));
  for (std::size_t i = digits.size(); i < 9; ++i) v *= 10;
  return v;
}

std::optional<std::int64_t> time_of_day_ns(std::string_view w, std::string& why) {
  const auto dot = w.find('.');
  const auto c1 = w.find(':'), c2 = w.rfind(':');
  const auto h = number(w.substr(0, c1), 99), m = number(w.substr(c1 + 1, c2 - c1 - 1), 99),
             s = number(w.substr(c2 + 1, dot - c2 - 1), 99);
  const auto frac = fraction_ns(w.substr(dot + 1));
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60 || !frac) {
    why = "bad time " + quoted(w);
    return std::nullopt;
  }
  return std::int64_t((*h * 60 + *m) * 60 + *s) * kSecond + *frac;
}

// "ADDRESS.PORT:" or "ADDRESS:" (IPv4 or IPv6; the port after the last dot).
bool read_address(std::string_view w, IpAddress& address, std::optional<std::uint16_t>& port, std::string& why) {
  if (auto whole = IpAddress::parse(w); whole.ok()) {
    address = *whole;
    port.reset();
    return true;
  }
  const auto dot = w.rfind('.');
  if (dot != std::string_view::npos) {
    auto a = IpAddress::parse(w.substr(0, dot));
    const std::string_view p = w.substr(dot + 1);
    if (a.ok()) {
      const auto n = number(p, 65535);
      if (!n) {
        why = "port " + quoted(p) + " is not a number (read tcpdump -n output)";
        return false;
      }
      address = *a;
      port = std::uint16_t(*n);
      return true;
    }
  }
  why = "bad address " + quoted(w) + " (read tcpdump -n output)";
  return false;
}

std::optional<std::uint32_t> hex_index(std::string_view w) {
  if (!starts_with(w, "0x") || w.size() < 3 || w.size() > 10) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : w.substr(2)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v << 4 | std::uint32_t(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
  }
  return v;
}

// OpenBSD print-wg.c, wg_print: "[wg] initiation from 0x%08x", "[wg] response
// from 0x%08x to 0x%08x", "[wg] cookie  to 0x%08x", "[wg] keepalive to
// 0x%08x nonce %llu", "[wg] data length %llu to 0x%08x nonce %llu"; "[|wg]"
// where the capture ended; "[wg] unknown" for what it did not recognise.
bool read_wireguard(std::string_view body, TcpdumpPacket& p, std::string& why) {
  const auto w = words(body);
  TcpdumpWireGuard& wg = p.wireguard;
  if (w[0] == "[|wg]" || (w.size() >= 2 && w[1] == "[|wg]")) {
    why = "tcpdump cut the WireGuard message before its type ([|wg])";
    return false;
  }
  if (w.size() < 2) {
    why = "WireGuard message without a type";
    return false;
  }
  if (w[1] == "unknown") return true;  // body stays "other", as tcpdump judged it
  std::size_t i = 2;
  if (w[1] == "initiation") {
    wg.type = 1, wg.length = 148;
  } else if (w[1] == "response") {
    wg.type = 2, wg.length = 92;
  } else if (w[1] == "cookie") {
    wg.type = 3, wg.length = 64;
  } else if (w[1] == "keepalive") {
    wg.type = 4, wg.length = 32;
  } else if (w[1] == "data" && w.size() >= 4 && w[2] == "length") {
    const auto n = number(w[3], 0xffff);
    if (!n) {
      why = "bad WireGuard data length " + quoted(w[3]);
      return false;
    }
    wg.type = 4, wg.length = std::uint32_t(*n) + 32, i = 4;
  } else {
    why = "unknown WireGuard message " + quoted(w[1]);
    return false;
  }
  p.body = TcpdumpBody::wireguard;
  // The fields: "from X", "to X", "nonce N", in that order, as far as printed.
  auto field = [&](std::string_view name) -> std::optional<std::string_view> {
    if (i < w.size() && w[i] == "[|wg]") wg.cut = true;
    if (wg.cut || i + 1 >= w.size() || w[i] != name) return std::nullopt;
    i += 2;
    return w[i - 1];
  };
  auto index = [&](std::string_view name, std::uint32_t& out) {
    const auto text = field(name);
    if (!text) return wg.cut;
    const auto v = hex_index(*text);
    if (!v) why = "bad WireGuard index " + quoted(*text);
    if (v) out = *v;
    return bool(v);
  };
  bool ok = true;
  if (wg.type == 1) ok = index("from", wg.sender);
  if (wg.type == 2) ok = index("from", wg.sender) && index("to", wg.receiver);
  if (wg.type == 3 || wg.type == 4) ok = index("to", wg.receiver);
  if (ok && wg.type == 4) {
    if (const auto text = field("nonce")) {
      const auto n = number(*text);
      if (!n) {
        why = "bad WireGuard nonce " + quoted(*text);
        return false;
      }
      wg.counter = *n;
    } else if (!wg.cut) {
      ok = false;
    }
  }
  if (!ok && why.empty()) why = "WireGuard message cut short: " + quoted(body);
  return ok;
}

void tcp_flag(char c, TcpdumpTcp& t) {
  switch (c) {
    case 'S': t.syn = true; break;
    case 'F': t.fin = true; break;
    case 'R': t.rst = true; break;
    case 'P': t.psh = true; break;
    case '.': t.ack_flag = true; break;
    default: break;  // U, E, W, e: not among the timeline's flags
  }
}

// Linux print-tcp.c: "Flags [S.], seq 1:36, ack 1, win 502, options [...],
// length 35[: APPLICATION]". Sequence numbers are relative after the
// handshake unless -S; the SYN's is absolute.
bool read_linux_tcp(std::string_view body, TcpdumpTcp& t, std::string& why) {
  const auto close = body.find(']');
  if (close == std::string_view::npos) {
    why = "TCP flags without their closing ']'";
    return false;
  }
  const std::string_view flags = body.substr(7, close - 7);
  if (flags != "none")
    for (char c : flags) tcp_flag(c, t);
  const auto w = words(body.substr(close + 1), true);
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    std::string_view value = w[i + 1];
    if (w[i] == "seq") {
      const auto first = number(value.substr(0, value.find(':')), UINT32_MAX);
      if (!first) break;
      t.seq = std::uint32_t(*first);
    } else if (w[i] == "ack") {
      if (const auto a = number(value, UINT32_MAX)) t.ack = std::uint32_t(*a);
    } else if (w[i] == "length") {
      if (!value.empty() && value.back() == ':') value.remove_suffix(1);
      if (const auto n = number(value, UINT32_MAX)) t.length = std::uint32_t(*n);
      return true;  // what follows is the application's, not TCP's
    } else if (w[i] == "options") {
      while (i < w.size() && w[i].find(']') == std::string_view::npos) ++i;
    }
  }
  why = "TCP segment without its length: " + quoted(body);
  return false;
}

// OpenBSD print-tcp.c, tcp_print: "S 2847569573:2847569573(0) win 16384",
// ". ack 1 win 16384", "P 1:36(35) ack 1 win 16384"; the ACK flag is the
// "ack N" that follows.
bool read_openbsd_tcp(const std::vector<std::string_view>& w, TcpdumpTcp& t, std::string& why) {
  if (w[0] != ".")
    for (char c : w[0]) tcp_flag(c, t);
  for (std::size_t i = 1; i < w.size(); ++i) {
    const std::string_view word = w[i];
    const auto colon = word.find(':'), paren = word.find('(');
    if (i == 1 && colon != std::string_view::npos && paren != std::string_view::npos && word.back() == ')') {
      const auto seq = number(word.substr(0, colon), UINT32_MAX);
      const auto length = number(word.substr(paren + 1, word.size() - paren - 2), UINT32_MAX);
      if (!seq || !length) {
        why = "bad TCP sequence " + quoted(word);
        return false;
      }
      t.seq = std::uint32_t(*seq), t.length = std::uint32_t(*length);
    } else if (word == "ack" && i + 1 < w.size()) {
      const auto a = number(w[i + 1], UINT32_MAX);
      if (!a) {
        why = "bad TCP ack " + quoted(w[i + 1]);
        return false;
      }
      t.ack_flag = true, t.ack = std::uint32_t(*a);
      ++i;
    } else if (word == "win") {
      return true;
    }
  }
  return true;
}

bool openbsd_tcp_flags(std::string_view w) {
  if (w == ".") return true;
  for (char c : w)
    if (std::string_view("SFRPWE").find(c) == std::string_view::npos) return false;
  return !w.empty();
}

// The quoted packet's destination, protocol and port, where tcpdump prints
// them: "ADDR udp port P", "ADDR tcp port P", "ADDR protocol N [port P]".
void read_quote(const std::vector<std::string_view>& w, TcpdumpIcmp& icmp) {
  for (std::size_t i = 0; i < w.size(); ++i) {
    std::string_view word = w[i];
    while (!word.empty() && (word.back() == ',' || word.back() == ':')) word.remove_suffix(1);
    if (!icmp.quoted_destination) {
      if (word.find_first_of(".:") == std::string_view::npos) continue;
      if (auto a = IpAddress::parse(word); a.ok()) icmp.quoted_destination = *a;
      continue;
    }
    if ((word == "udp" || word == "tcp") && i + 2 < w.size() && w[i + 1] == "port") {
      icmp.quoted_protocol = std::string(word);
      std::string_view p = w[i + 2];
      if (!p.empty() && p.back() == ',') p.remove_suffix(1);
      if (const auto n = number(p, 65535)) icmp.quoted_port = std::uint16_t(*n);
      return;
    }
    if (word == "protocol" && i + 1 < w.size()) {
      if (const auto n = number(w[i + 1], 255)) {
        icmp.quoted_protocol = ip_protocol_text(std::uint8_t(*n));
      }
      return;
    }
  }
}

// The unreachable code from tcpdump's words for it: print-icmp.c's
// unreach2str (v4) and print-icmp6.c (Linux's icmp6_dst_unreach_code_values,
// OpenBSD's icmp6_print).
std::uint8_t unreachable_code(bool v6, std::string_view s) {
  auto has = [&](std::string_view w) { return s.find(w) != std::string_view::npos; };
  const auto hash = s.find('#');  // "#N ADDR unreachable", "code-#N"
  if (hash != std::string_view::npos) {
    std::size_t end = hash + 1;
    while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
    if (const auto n = number(s.substr(hash + 1, end - hash - 1), 255)) return std::uint8_t(*n);
  }
  if (v6) {
    if (has(" port")) return 4;
    if (has("beyond scope")) return 2;
    if (has("prohibited")) return 1;
    if (has("unreachable address")) return 3;
    return 0;  // "unreachable route"
  }
  const bool net = has("net ");
  if (has(" port ")) return 3;
  if (has("need to frag")) return 4;
  if (has("source route failed")) return 5;
  if (has("- unknown")) return net ? 6 : 7;
  if (has("source host isolated")) return 8;
  if (has("admin prohibited filter")) return 13;
  if (has("admin prohibited")) return net ? 9 : 10;
  if (has("tos prohibited")) return net ? 11 : 12;
  if (has("precedence violation")) return 14;
  if (has("precedence cutoff")) return 15;
  if (has(" protocol ")) return 2;
  return net ? 0 : 1;
}

// ICMP and ICMPv6 errors in either layout ("icmp: ...", "icmp6: ...",
// "ICMP ...", "ICMP6, ..."); false for what is not an error (echo, ...).
bool read_icmp_error(std::string_view s, bool v6, TcpdumpIcmp& icmp) {
  auto has = [&](std::string_view w) { return s.find(w) != std::string_view::npos; };
  icmp.v6 = v6;
  if (has("unreachable") || (v6 && has("beyond scope"))) {
    icmp.type = v6 ? 1 : 3;
    icmp.code = unreachable_code(v6, s);
  } else if (has("time exceeded")) {
    icmp.type = v6 ? 3 : 11;
    icmp.code = has("reassembly") ? 1 : 0;
  } else if (has("too big")) {
    if (!v6) return false;
    icmp.type = 2;
  } else if (has("parameter problem")) {
    icmp.type = v6 ? 4 : 12;
    icmp.code = has("next header") ? 1 : has("option") ? 2 : 0;
  } else if (!v6 && has("source quench")) {
    icmp.type = 4;
  } else if (!v6 && has("redirect")) {
    icmp.type = 5;
  } else {
    return false;
  }
  read_quote(words(s), icmp);
  return true;
}

// What follows "SOURCE > DESTINATION: ".
bool read_body(std::string_view body, TcpdumpPacket& p, std::string& why) {
  if (starts_with(body, "[wg]") || starts_with(body, "[|wg]")) return read_wireguard(body, p, why);
  if (starts_with(body, "Flags [")) {
    p.body = TcpdumpBody::tcp;
    return read_linux_tcp(body, p.tcp, why);
  }
  const auto w = words(body);
  if (w.empty()) {
    why = "nothing after the addresses";
    return false;
  }
  if ((w[0] == "UDP," && w.size() >= 3 && w[1] == "length") || (w[0] == "udp" && w.size() >= 2)) {
    const auto n = number(w[0] == "udp" ? w[1] : w[2], 0xffff);
    if (!n) {
      why = "bad UDP length in " + quoted(body);
      return false;
    }
    p.body = TcpdumpBody::udp;
    p.udp_length = std::uint32_t(*n);
    return true;
  }
  const bool icmp4 = w[0] == "icmp:" || w[0] == "ICMP";
  const bool icmp6 = w[0] == "icmp6:" || w[0] == "ICMP6,";
  if (icmp4 || icmp6) {
    if (read_icmp_error(body.substr(w[0].size()), icmp6, p.icmp)) p.body = TcpdumpBody::icmp;
    return true;
  }
  if (p.source_port && openbsd_tcp_flags(w[0])) {
    p.body = TcpdumpBody::tcp;
    return read_openbsd_tcp(w, p.tcp, why);
  }
  return true;  // a packet of a protocol tether makes no event for
}

bool read_time(std::vector<std::string_view>& w, TcpdumpTime& time, std::string& why) {
  if (date_shape(w[0])) {
    if (w.size() < 2 || !time_of_day_shape(w[1])) {
      why = "a date without a time of day after it";
      return false;
    }
    const auto y = *number(w[0].substr(0, 4)), mo = *number(w[0].substr(5, 2)), d = *number(w[0].substr(8, 2));
    // Nanoseconds since 1970 in 64 bits reach from 1677 to 2262.
    if (y < 1678 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > 31) {
      why = "bad date " + quoted(w[0]);
      return false;
    }
    const auto tod = time_of_day_ns(w[1], why);
    if (!tod) return false;
    time.time_of_day = false;
    time.ns = days_from_civil(std::int64_t(y), unsigned(mo), unsigned(d)) * 86400 * kSecond + *tod;
    w.erase(w.begin(), w.begin() + 2);
    return true;
  }
  if (epoch_shape(w[0])) {
    const auto dot = w[0].find('.');
    const auto s = number(w[0].substr(0, dot), std::uint64_t(INT64_MAX / kSecond) - 1);
    const auto frac = fraction_ns(w[0].substr(dot + 1));
    if (!s || !frac) {
      why = "bad time " + quoted(w[0]);
      return false;
    }
    time.time_of_day = false;
    time.ns = std::int64_t(*s) * kSecond + *frac;
  } else {
    const auto tod = time_of_day_ns(w[0], why);
    if (!tod) return false;
    time.time_of_day = true;
    time.ns = *tod;
  }
  w.erase(w.begin());
  return true;
}

bool link_level_word(std::string_view w) {
  for (std::string_view name : {"ARP,", "RARP,", "STP", "LLDP,", "CDPv1,", "CDPv2,", "LLC,", "IPX", "PPPoE", "ethertype"})
    if (w == name) return true;
  return false;
}

}  // namespace

TcpdumpLine read_tcpdump_line(std::string_view line) {
  TcpdumpLine out;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  line = trim_left(line);
  auto w = words(line);
  if (w.empty() || !(time_of_day_shape(w[0]) || epoch_shape(w[0]) || date_shape(w[0]))) return out;
  out.kind = TcpdumpLine::Kind::unreadable;
  TcpdumpPacket& p = out.packet;
  if (!read_time(w, p.time, out.problem)) return out;
  // Linux's "-i any": the interface and the direction come first.
  if (w.size() >= 2 && (w[1] == "In" || w[1] == "Out" || w[1] == "B" || w[1] == "M" || w[1] == "P"))
    w.erase(w.begin(), w.begin() + 2);
  if (!w.empty() && link_level_word(w[0])) {
    out.kind = TcpdumpLine::Kind::packet;  // not IP: no event, as in a capture
    return out;
  }
  if (!w.empty() && (w[0] == "IP" || w[0] == "IP6")) w.erase(w.begin());
  if (w.size() < 3 || w[1] != ">" || w[2].size() < 2 || w[2].back() != ':') {
    out.problem = "no 'SOURCE > DESTINATION:' after the time (tcpdump -n without -v, -e or -x lines)";
    return out;
  }
  if (!read_address(w[0], p.source, p.source_port, out.problem) ||
      !read_address(w[2].substr(0, w[2].size() - 1), p.destination, p.destination_port, out.problem))
    return out;
  const std::size_t body_at = std::size_t(w[2].data() + w[2].size() - line.data());
  if (!read_body(trim_left(line.substr(body_at)), p, out.problem)) return out;
  out.kind = TcpdumpLine::Kind::packet;
  return out;
}

}  // namespace tether::pcap
