#include "tunnel/tunnel_config.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <type_traits>

#include "core/ascii.h"
#include "crypto/x25519.h"

namespace tether::tunnel {

namespace {

enum class Section { none, interface, peer, unknown };

// Keys wg(8) reads, then the ones wg-quick(8) handles itself.
// Then tether's own.
constexpr std::string_view kInterfaceKeys[] = {"PrivateKey", "ListenPort", "FwMark",  "Address",  "MTU",
                                               "DNS",        "Table",      "PreUp",   "PostUp",   "PreDown",
                                               "PostDown",   "SaveConfig", "AllowInner"};
constexpr std::string_view kPeerKeys[] = {"PublicKey", "PresharedKey", "Endpoint", "AllowedIPs",
                                          "PersistentKeepalive"};

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// wg(8) deletes every whitespace character of a line before reading it, so
// "AllowedIPs = 10.0.0.0/8, 192.168.0.0/16" and "Public Key=..." both work.
std::string without_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (!is_space(c)) out.push_back(c);
  return out;
}

// wg-quick splits Address and DNS on commas and on whitespace.
std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  std::string item;
  for (char c : s) {
    if (c == ',' || is_space(c)) {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item.push_back(c);
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

// Decimal, digits only, at most `max`.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t digit = std::uint64_t(c - '0');
    if (v > (max - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

// A DNS name as getaddrinfo would be asked for it: dot-separated labels of
// letters, digits, '-' and '_', each 1-63 characters, 253 in all.
bool is_host_name(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);  // fully qualified
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

bool all_digits_and_dots(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

Result<EndpointSpec> parse_endpoint(std::string_view text) {
  auto fail = [](std::string m) { return Error(ErrorCode::invalid_argument, std::move(m)); };
  const std::string whole(text);
  EndpointSpec e;
  std::string_view host, port;
  if (text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']' in '" + whole + "'");
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return fail("missing ':port' after ']' in '" + whole + "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    auto a = IpAddress::parse(host);
    if (!a || !a->is_v6()) return fail("brackets must hold an IPv6 address, in '" + whole + "'");
    e.address = *a;
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("missing ':port' in '" + whole + "'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail("an IPv6 address needs brackets, as '[" + std::string(host) + "]:" + std::string(port) + "'");
    if (host.empty()) return fail("missing host before ':' in '" + whole + "'");
    if (all_digits_and_dots(host)) {
      auto a = IpAddress::parse(host);
      if (!a) return fail(a.error().message);
      e.address = *a;
    } else if (!is_host_name(host)) {
      return fail("'" + std::string(host) + "' is neither an IP address nor a host name");
    }
  }
  if (port.empty()) return fail("missing port number after ':' in '" + whole + "'");
  auto p = parse_decimal(port, 65535);
  if (!p || *p == 0) return fail("port '" + std::string(port) + "' is not a number from 1 to 65535");
  e.host = std::string(host);
  e.port = std::uint16_t(*p);
  return e;
}

class Parser {
 public:
  explicit Parser(std::string_view file) : file_(file) {}

  TunnelConfigParse run(std::string_view text) {
    int n = 0;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t eol = std::min(text.find('\n', pos), text.size());
      std::string_view line = text.substr(pos, eol - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF files from Windows
      process(++n, line);
      pos = eol + 1;
    }
    finish();
    return std::move(out_);
  }

 private:
  void error(int line, std::string message) { out_.errors.push_back({std::string(file_), line, std::move(message)}); }
  void warning(int line, std::string message) {
    out_.warnings.push_back({std::string(file_), line, std::move(message)});
  }
  TunnelConfig& config() { return out_.config; }
  PeerSection& peer() { return config().peers.back(); }

  void process(int n, std::string_view raw) {
    if (reject_nul(n, raw)) return;
    // '#' starts a comment anywhere, except that wg-quick hands hook
    // commands (PostUp etc.) the raw text after '=', comment included.
    std::string_view stripped = raw.substr(0, raw.find('#'));
    if (trim(stripped).empty()) return;
    std::string compact = without_spaces(stripped);
    if (compact.front() == '[') {
      header(n, compact);
      return;
    }
    std::size_t eq = stripped.find('=');
    if (eq == std::string_view::npos) {
      // The line is not echoed: it may be a key pasted on a line of its own.
      std::string_view t = trim(stripped);
      std::string word(t.substr(0, std::min(t.find_first_of(": \t"), t.size())));
      if (find_key(kInterfaceKeys, word) || find_key(kPeerKeys, word))
        error(n, "'" + word + "' needs '=' before its value");
      else
        error(n, "expected 'Key = Value' or a [Section]; this line has no '='");
      return;
    }
    std::string key = without_spaces(stripped.substr(0, eq));
    std::string_view value = trim(stripped.substr(eq + 1));
    std::string_view raw_value = trim(raw.substr(raw.find('=') + 1));
    if (key.empty()) {
      error(n, "missing key before '='");
      return;
    }
    switch (section_) {
      case Section::none:
        error(n, "'" + key + "' appears before any [Interface] or [Peer] section");
        return;
      case Section::unknown:
        return;  // the unknown header was reported; its keys would only add noise
      case Section::interface:
        interface_key(n, key, value, raw_value);
        return;
      case Section::peer:
        peer_key(n, key, value);
        return;
    }
  }

  void header(int n, const std::string& compact) {
    seen_keys_.clear();
    if (ascii_iequals(compact, "[Interface]")) {
      section_ = Section::interface;
      if (interface_line_ != 0) {
        warning(n, "a second [Interface] section (the first is at line " + std::to_string(interface_line_) +
                       "); its keys apply to the same interface, as with wg");
      } else {
        interface_line_ = n;
        config().interface.line = n;
      }
    } else if (ascii_iequals(compact, "[Peer]")) {
      section_ = Section::peer;
      config().peers.emplace_back();
      peer().line = n;
      peer_has_key_.push_back(false);
      peer_key_line_.push_back(0);
    } else {
      section_ = Section::unknown;
      error(n, "unknown section '" + compact + "' (expected [Interface] or [Peer])");
    }
  }

  // The canonical spelling of `key` among `keys`, if it is one of them.
  template <std::size_t N>
  static std::optional<std::string_view> find_key(const std::string_view (&keys)[N], std::string_view key) {
    for (auto k : keys)
      if (ascii_iequals(k, key)) return k;
    return std::nullopt;
  }

  void unknown_key(int n, const std::string& key) {
    const bool in_interface = section_ == Section::interface;
    std::string where = in_interface ? "[Interface]" : "[Peer]";
    // Key names are short words. Anything else before '=' is more likely a
    // base64 key pasted on a line of its own (it ends in '='): not echoed.
    const bool name_like = key.size() <= 32 && std::all_of(key.begin(), key.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (!name_like || key.size() >= crypto::kBase64KeyTextSize - 1) {
      error(n, "unrecognised line in " + where + ": the text before '=' is not a key name");
      return;
    }
    std::string message = "unknown key '" + key + "' in " + where;
    if (in_interface ? find_key(kPeerKeys, key) : find_key(kInterfaceKeys, key)) {
      message += " (it belongs in " + std::string(in_interface ? "[Peer]" : "[Interface]") + ")";
    } else {
      std::optional<std::string_view> best;
      std::size_t best_distance = 3;  // suggest only near misses
      auto consider = [&](std::string_view k) {
        std::size_t d = ascii_edit_distance(key, k);
        if (d < best_distance) {
          best_distance = d;
          best = k;
        }
      };
      if (in_interface) for (auto k : kInterfaceKeys) consider(k);
      else for (auto k : kPeerKeys) consider(k);
      if (best) message += " (did you mean '" + std::string(*best) + "'?)";
    }
    error(n, message);
  }

  // A single-valued key given twice in one section: wg keeps the last one.
  void note_repeat(int n, std::string_view name) {
    auto [it, first] = seen_keys_.emplace(std::string(name), n);
    if (!first)
      warning(n, std::string(name) + " given again (first at line " + std::to_string(it->second) +
                     "); the last value wins, as with wg");
  }

  std::optional<crypto::Key32> key_value(int n, std::string_view name, std::string_view value) {
    // Never echo the value: it may be a private or preshared key.
    auto key = crypto::decode_base64_key(without_spaces(value));
    if (!key) {
      error(n, std::string(name) + ": " + key.error().message);
      return std::nullopt;
    }
    return *key;
  }

  void not_applied(int n, std::string_view name, std::string_view why) {
    warning(n, std::string(name) + " is accepted but not applied: " + std::string(why));
  }

  void interface_key(int n, const std::string& key, std::string_view value, std::string_view raw_value) {
    auto name = find_key(kInterfaceKeys, key);
    if (!name) {
      unknown_key(n, key);
      return;
    }
    InterfaceSection& i = config().interface;
    const std::string prefix = std::string(*name) + ": ";
    const std::string compact = without_spaces(value);
    if (*name == "PrivateKey") {
      note_repeat(n, *name);
      private_key_given_ = true;
      if (auto k = key_value(n, *name, value)) i.private_key = *k;
    } else if (*name == "ListenPort") {
      note_repeat(n, *name);
      auto p = parse_decimal(compact, 65535);
      if (!p) error(n, prefix + "'" + compact + "' is not a port number (0-65535)");
      else i.listen_port = std::uint16_t(*p);
    } else if (*name == "FwMark") {
      note_repeat(n, *name);
      std::optional<std::uint64_t> mark;
      if (ascii_iequals(compact, "off")) mark = 0;
      else if (compact.size() > 2 && compact[0] == '0' && (compact[1] == 'x' || compact[1] == 'X'))
        mark = parse_hex(compact.substr(2));
      else mark = parse_decimal(compact, 0xffffffffu);
      if (!mark) error(n, prefix + "'" + compact + "' is neither off nor a number from 0 to 0xffffffff");
      else i.fwmark = std::uint32_t(*mark);
      not_applied(n, *name, "tether marks no packets");
    } else if (*name == "Address") {
      for (const std::string& item : split_list(value)) {
        auto p = IpPrefix::parse(item);
        if (!p) error(n, prefix + p.error().message);
        else i.addresses.push_back(*p);
      }
    } else if (*name == "MTU") {
      note_repeat(n, *name);
      auto m = parse_decimal(compact, 65535);
      if (!m || *m < 68) error(n, prefix + "'" + compact + "' is not an MTU from 68 to 65535");
      else i.mtu = int(*m);
    } else if (*name == "DNS") {
      for (const std::string& item : split_list(value)) i.dns.push_back(item);
      not_applied(n, *name, "tether leaves the host's resolver configuration alone");
    } else if (*name == "Table") {
      note_repeat(n, *name);
      if (value.empty()) error(n, prefix + "empty value");
      else i.table = std::string(value);
      not_applied(n, *name, "tether adds routes for AllowedIPs to the main table");
    } else if (*name == "PreUp" || *name == "PostUp" || *name == "PreDown" || *name == "PostDown") {
      auto& hooks = *name == "PreUp" ? i.pre_up : *name == "PostUp" ? i.post_up : *name == "PreDown" ? i.pre_down
                                                                                                     : i.post_down;
      hooks.emplace_back(raw_value);
      not_applied(n, *name, "tether runs no hook commands");
    } else if (*name == "AllowInner") {
      if (value.empty()) {
        error(n, prefix + "empty value (omit the key to allow all inner traffic)");
        return;
      }
      auto filter = InnerFilter::parse(value);
      if (!filter) error(n, prefix + filter.error().message);
      else i.allow_inner.add(*filter);
    } else if (*name == "SaveConfig") {
      note_repeat(n, *name);
      if (ascii_iequals(compact, "true")) i.save_config = true;
      else if (ascii_iequals(compact, "false")) i.save_config = false;
      else error(n, prefix + "'" + compact + "' is neither true nor false");
      not_applied(n, *name, "tether never rewrites its config file");
    }
  }

  static std::optional<std::uint64_t> parse_hex(std::string_view s) {
    if (s.empty() || s.size() > 8) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
      int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f') ? ascii_lower(c) - 'a' + 10
                                                      : -1;
      if (d < 0) return std::nullopt;
      v = v * 16 + std::uint64_t(d);
    }
    return v;
  }

  void peer_key(int n, const std::string& key, std::string_view value) {
    auto name = find_key(kPeerKeys, key);
    if (!name) {
      unknown_key(n, key);
      return;
    }
    PeerSection& p = peer();
    const std::string prefix = std::string(*name) + ": ";
    const std::string compact = without_spaces(value);
    if (*name == "PublicKey") {
      note_repeat(n, *name);
      if (auto k = key_value(n, *name, value)) {
        p.public_key = *k;
        peer_has_key_.back() = true;
        peer_key_line_.back() = n;
        auto [it, first] = peer_lines_.emplace(crypto::encode_base64_key(*k), p.line);
        if (!first && it->second != p.line)
          error(n, prefix + "the same peer is already defined by the [Peer] at line " + std::to_string(it->second));
      } else {
        peer_has_key_.back() = true;  // reported; do not also say it is missing
      }
    } else if (*name == "PresharedKey") {
      note_repeat(n, *name);
      if (auto k = key_value(n, *name, value)) p.preshared_key = *k;
    } else if (*name == "Endpoint") {
      note_repeat(n, *name);
      if (compact.empty()) {
        error(n, prefix + "empty value");
        return;
      }
      auto e = parse_endpoint(compact);
      if (!e) error(n, prefix + e.error().message);
      else p.endpoint = *e;
    } else if (*name == "AllowedIPs") {
      // Unlike Address, only commas separate entries (wg removed the spaces).
      if (compact.empty()) return;  // "AllowedIPs =" is an empty list, as with wg
      std::string_view rest = compact;
      for (;;) {
        std::size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        allowed_ip(n, item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (*name == "PersistentKeepalive") {
      note_repeat(n, *name);
      std::optional<std::uint64_t> seconds = ascii_iequals(compact, "off") ? 0 : parse_decimal(compact, 65535);
      if (!seconds) error(n, prefix + "'" + compact + "' is neither 0/off nor 1-65535 seconds");
      else p.persistent_keepalive = std::uint16_t(*seconds);
    }
  }

  void allowed_ip(int n, std::string_view item) {
    if (item.empty()) {
      error(n, "AllowedIPs: empty entry between commas");
      return;
    }
    auto prefix = IpPrefix::parse(item);
    if (!prefix) {
      error(n, "AllowedIPs: " + prefix.error().message);
      return;
    }
    IpPrefix network = prefix->network();
    if (!(network == *prefix))
      warning(n, "AllowedIPs: " + std::string(item) + " has host bits set; using " + network.to_string() +
                     ", as wg does");
    auto [it, first] = allowed_owner_.emplace(network.to_string(), config().peers.size() - 1);
    if (!first && it->second != config().peers.size() - 1) {
      warning(n, "AllowedIPs: " + network.to_string() + " is also routed to the [Peer] at line " +
                     std::to_string(config().peers[it->second].line) + "; the later peer gets it, as with wg");
      it->second = config().peers.size() - 1;
    }
    peer().allowed_ips.push_back(network);
  }

  void finish() {
    if (interface_line_ == 0) error(0, "no [Interface] section");
    else if (!private_key_given_)
      error(interface_line_, "[Interface] has no PrivateKey (tether runs no PostUp command that could set one)");
    for (std::size_t i = 0; i < config().peers.size(); ++i)
      if (!peer_has_key_[i]) error(config().peers[i].line, "[Peer] has no PublicKey");
    check_no_peer_is_self();
    std::stable_sort(out_.errors.begin(), out_.errors.end(),
              [](const ConfigDiagnostic& a, const ConfigDiagnostic& b) { return a.line < b.line; });
  }

  // Linux's netlink.c, set_peer(): a peer with the device's own public key
  // is silently ignored, so that one set of API calls can serve every peer.
  // In a config file it is a mistake (the other end's key was meant), and
  // the tunnel would silently have no such peer: an error here.
  void check_no_peer_is_self() {
    if (!config().interface.private_key) return;
    const crypto::PublicKey own = crypto::derive_public_key(*config().interface.private_key);
    for (std::size_t i = 0; i < config().peers.size(); ++i)
      if (peer_key_line_[i] > 0 && config().peers[i].public_key == own)
        error(peer_key_line_[i], "PublicKey: this is the interface's own public key (from its PrivateKey); "
                                 "a [Peer] needs the other end's");
  }

  // A NUL byte is named by its line, never echoed: it would cut the
  // diagnostic short on a terminal. The line is skipped.
  bool reject_nul(int n, std::string_view raw) {
    if (raw.find('\0') == std::string_view::npos) return false;
    error(n, "NUL byte (0x00) in this line: a config file must be text");
    return true;
  }

  std::string_view file_;
  TunnelConfigParse out_;
  Section section_ = Section::none;
  int interface_line_ = 0;
  bool private_key_given_ = false;  // even if invalid (then already reported)
  std::map<std::string, int> seen_keys_;               // key -> first line, in this section
  std::vector<bool> peer_has_key_;                     // per peer
  std::vector<int> peer_key_line_;                     // per peer: its PublicKey line, 0 if none valid
  std::map<std::string, int> peer_lines_;              // public key -> [Peer] line
  std::map<std::string, std::size_t> allowed_owner_;   // prefix -> peer index
};

}  // namespace

std::string EndpointSpec::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string ConfigDiagnostic::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ": " + message;
}

Error TunnelConfigParse::error() const {
  std::string text;
  for (const auto& e : errors) {
    if (!text.empty()) text += '\n';
    text += e.to_string();
  }
  return Error(ErrorCode::invalid_argument, text);
}

TunnelConfigParse parse_tunnel_config(std::string_view text, std::string_view file_name) {
  return Parser(file_name).run(text);
}

std::string to_wg_quick(const TunnelConfig& config) {
  std::string out = "[Interface]\n";
  auto line = [&out](std::string_view key, const std::string& value) {
    out += key;
    out += " = ";
    out += value;
    out += '\n';
  };
  auto join = [](const auto& items) {
    std::string s;
    for (const auto& item : items) {
      if (!s.empty()) s += ", ";
      if constexpr (std::is_same_v<std::decay_t<decltype(item)>, std::string>) s += item;
      else s += item.to_string();
    }
    return s;
  };
  const InterfaceSection& i = config.interface;
  if (i.private_key) line("PrivateKey", crypto::encode_base64_key(*i.private_key));
  if (i.listen_port) line("ListenPort", std::to_string(*i.listen_port));
  if (i.fwmark) line("FwMark", std::to_string(*i.fwmark));
  if (!i.addresses.empty()) line("Address", join(i.addresses));
  if (i.mtu) line("MTU", std::to_string(*i.mtu));
  if (!i.allow_inner.allows_all()) line("AllowInner", i.allow_inner.to_string());
  if (!i.dns.empty()) line("DNS", join(i.dns));
  if (i.table) line("Table", *i.table);
  if (i.save_config) line("SaveConfig", *i.save_config ? "true" : "false");
  for (const auto& c : i.pre_up) line("PreUp", c);
  for (const auto& c : i.post_up) line("PostUp", c);
  for (const auto& c : i.pre_down) line("PreDown", c);
  for (const auto& c : i.post_down) line("PostDown", c);
  for (const PeerSection& p : config.peers) {
    out += "\n[Peer]\n";
    line("PublicKey", crypto::encode_base64_key(p.public_key));
    if (p.preshared_key) line("PresharedKey", crypto::encode_base64_key(*p.preshared_key));
    if (p.endpoint) line("Endpoint", p.endpoint->to_string());
    if (!p.allowed_ips.empty()) line("AllowedIPs", join(p.allowed_ips));
    if (p.persistent_keepalive) line("PersistentKeepalive", std::to_string(p.persistent_keepalive));
  }
  return out;
}

}  // namespace tether::tunnel
