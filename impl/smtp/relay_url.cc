#include "smtp/relay_url.h"

#include <cctype>

#include "core/ascii.h"
#include "core/endpoint.h"

namespace tether::smtp {

namespace {

struct Scheme {
  std::string_view prefix;
  RelayUrl::Tls tls;
  bool lmtp;
  std::uint16_t port;
};

constexpr Scheme kSchemes[] = {
    {"smtp://", RelayUrl::Tls::opportunistic, false, 25},
    {"smtp+tls://", RelayUrl::Tls::starttls, false, 25},
    {"smtp+notls://", RelayUrl::Tls::none, false, 25},
    {"lmtp://", RelayUrl::Tls::none, true, 0},
    {"smtps://", RelayUrl::Tls::smtps, false, 465},
};

Error bad(std::string_view text, const std::string& why) {
  return Error(ErrorCode::invalid_argument, "invalid relay URL '" + std::string(text) + "': " + why);
}

}  // namespace

bool is_valid_domain(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  if (name.front() == '[') {
    if (name.back() != ']') return false;
    std::string_view inner = name.substr(1, name.size() - 2);
    if (inner.size() >= 5 && ascii_istarts_with(inner, "ipv6:")) {
      auto a = IpAddress::parse(inner.substr(5));
      return a && a->is_v6();
    }
    auto a = IpAddress::parse(inner);
    return a.ok();
  }
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return true;  // a trailing dot (absolute name) is allowed
}

std::string RelayUrl::to_string() const {
  std::string out;
  if (lmtp) {
    out = "lmtp://";
  } else {
    switch (tls) {
      case Tls::opportunistic: out = "smtp://"; break;
      case Tls::starttls: out = "smtp+tls://"; break;
      case Tls::none: out = "smtp+notls://"; break;
      case Tls::smtps: out = "smtps://"; break;
    }
  }
  if (!auth_label.empty()) out += auth_label + "@";
  out += host + ":" + std::to_string(port);
  return out;
}

Result<RelayUrl> parse_relay_url(std::string_view text) {
  RelayUrl url;
  std::string_view rest = text;
  const Scheme* scheme = nullptr;
  for (const Scheme& s : kSchemes)
    if (ascii_istarts_with(text, s.prefix)) scheme = &s;
  if (scheme) {
    rest.remove_prefix(scheme->prefix.size());
    url.tls = scheme->tls;
    url.lmtp = scheme->lmtp;
    url.port = scheme->port;
  } else if (text.find("://") != std::string_view::npos) {
    return bad(text, "unknown scheme (expected smtp://, smtp+tls://, smtp+notls://, smtps:// or lmtp://)");
  }

  std::size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    url.auth_label = std::string(rest.substr(0, at));
    if (url.auth_label.empty()) return bad(text, "empty authentication label before '@'");
    rest.remove_prefix(at + 1);
  }

  std::size_t host_end;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad(text, "'[' without ']'");
    host_end = close + 1;
  } else {
    host_end = 0;
    while (host_end < rest.size()) {
      char c = rest[host_end];
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') break;
      ++host_end;
    }
  }
  url.host = std::string(rest.substr(0, host_end));
  rest.remove_prefix(host_end);
  if (!rest.empty()) {
    if (rest.front() != ':') return bad(text, "unexpected '" + std::string(rest) + "' after the host");
    auto port = parse_port(rest.substr(1), "relay URL");
    if (!port || *port == 0) return bad(text, "invalid port '" + std::string(rest.substr(1)) + "'");
    url.port = *port;
  }
  if (!is_valid_domain(url.host)) return bad(text, "'" + url.host + "' is not a valid host name or [address]");
  if (url.lmtp && url.port == 0) return bad(text, "lmtp:// needs an explicit port");
  if (!url.auth_label.empty() && url.tls != RelayUrl::Tls::starttls && url.tls != RelayUrl::Tls::smtps)
    return bad(text, "an authentication label needs smtp+tls:// or smtps://");
  return url;
}

}  // namespace tether::smtp
