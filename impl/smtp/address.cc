#include "smtp/address.h"

#include <cctype>

#include "core/ascii.h"
#include "core/endpoint.h"

namespace tether::smtp {

namespace {

// RFC 5322 atext; '%' and '!' are atext too, but are refused separately.
bool is_atext(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

bool is_let_dig(unsigned char c) { return c < 128 && std::isalnum(c); }

bool has_high_octet(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

Reply syntax_error(PathKind kind, std::string text) {
  return Reply{501, kind == PathKind::reverse ? "5.1.7" : "5.1.3", std::move(text)};
}

Reply relay_form(std::string text) { return Reply{553, "5.1.3", std::move(text)}; }

// Where the path's closing '>' is: the first one outside a quoted string.
std::size_t find_path_end(std::string_view s) {
  bool quoted = false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool is_rfc5321_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > kMaxDomainLength) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (!is_let_dig(label.front()) || !is_let_dig(label.back())) return false;
    for (char c : label)
      if (!is_let_dig(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_rfc5321_address_literal(std::string_view literal) {
  if (literal.size() < 3 || literal.front() != '[' || literal.back() != ']') return false;
  std::string_view inner = literal.substr(1, literal.size() - 2);
  bool v6 = inner.size() > 5 && (inner.substr(0, 5) == "IPv6:" || inner.substr(0, 5) == "ipv6:");
  if (v6) inner.remove_prefix(5);
  Result<IpAddress> a = IpAddress::parse(inner);
  if (!a.ok()) return false;
  if (v6 != a->is_v6()) return false;
  if (!v6) {  // only the dotted quad, no shorthand forms inet_aton would take
    int dots = 0;
    for (char c : inner) {
      if (c == '.') ++dots;
      else if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    if (dots != 3) return false;
  }
  return true;
}

// Long: RFC 5321's path grammar in one pass, each rule's error where it fails.
ParsedPath parse_path(std::string_view text, PathKind kind, std::string_view hostname) {
  ParsedPath p;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text.empty() || text.front() != '<') {
    p.error = syntax_error(kind, "Syntax error: the address must be enclosed in <>");
    return p;
  }
  std::size_t end = find_path_end(text);
  if (end == std::string_view::npos) {
    p.error = syntax_error(kind, "Syntax error: missing '>'");
    return p;
  }
  std::string_view path = text.substr(1, end - 1);
  std::string_view rest = text.substr(end + 1);
  if (!rest.empty() && rest.front() != ' ') {
    p.error = syntax_error(kind, "Syntax error after '>'");
    return p;
  }
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  p.rest = rest;
  if (end + 1 > kMaxPathLength) {
    p.error = syntax_error(kind, "Path too long");
    return p;
  }
  if (has_high_octet(path)) {
    p.error = Reply{553, "5.6.7", "Non-ASCII addresses need SMTPUTF8, which is not offered"};
    return p;
  }
  if (path.empty()) {
    if (kind == PathKind::reverse) {
      p.ok = true;  // the null sender: bounces and reports
      return p;
    }
    p.error = syntax_error(kind, "Syntax error: empty recipient");
    return p;
  }
  if (path.front() == '@') {
    p.error = relay_form("Source routes are not accepted");
    return p;
  }

  // Local part: a quoted string or a dot-string.
  std::size_t i = 0;
  if (path[0] == '"') {
    i = 1;
    bool closed = false;
    while (i < path.size()) {
      char c = path[i];
      if (c == '\\') {
        if (i + 1 >= path.size() || path[i + 1] < 0x20 || path[i + 1] > 0x7e) {
          p.error = syntax_error(kind, "Syntax error in quoted local part");
          return p;
        }
        char q = path[i + 1];
        if (q == '@' || q == '%' || q == '!') {
          p.error = relay_form("Quoted local parts naming another host are not accepted");
          return p;
        }
        i += 2;
        continue;
      }
      if (c == '"') {
        closed = true;
        ++i;
        break;
      }
      if (c < 0x20 || c > 0x7e) {
        p.error = syntax_error(kind, "Syntax error in quoted local part");
        return p;
      }
      if (c == '@' || c == '%' || c == '!') {
        p.error = relay_form("Quoted local parts naming another host are not accepted");
        return p;
      }
      ++i;
    }
    if (!closed) {
      p.error = syntax_error(kind, "Syntax error: unterminated quoted local part");
      return p;
    }
  } else {
    bool after_dot = true;  // no leading dot
    while (i < path.size() && path[i] != '@') {
      unsigned char c = static_cast<unsigned char>(path[i]);
      if (c == '%' || c == '!') {
        p.error = relay_form(c == '%' ? "user%host addresses are not accepted" : "Bang paths are not accepted");
        return p;
      }
      if (c == '.') {
        if (after_dot) {
          p.error = syntax_error(kind, "Syntax error in local part");
          return p;
        }
        after_dot = true;
      } else if (is_atext(c)) {
        after_dot = false;
      } else {
        p.error = syntax_error(kind, "Syntax error in local part");
        return p;
      }
      ++i;
    }
    if (after_dot) {
      p.error = syntax_error(kind, "Syntax error in local part");
      return p;
    }
  }
  std::string_view local = path.substr(0, i);
  if (local.size() > kMaxLocalPartLength) {
    p.error = syntax_error(kind, "Path too long: local part over 64 octets");
    return p;
  }
  if (i == path.size()) {
    // RFC 5321 4.5.1: <postmaster> must be accepted without a domain.
    const bool postmaster = ascii_iequals(local, "postmaster");
    if (kind == PathKind::forward && postmaster) {
      p.ok = true;
      p.local_part = std::string(local);
      p.domain = std::string(hostname);
      p.address = p.local_part + "@" + p.domain;
      p.domain_implied = true;
      return p;
    }
    p.error = syntax_error(kind, "Syntax error: a domain is required");
    return p;
  }
  if (path[i] != '@') {
    p.error = syntax_error(kind, "Syntax error: '@' expected after the local part");
    return p;
  }
  std::string_view domain = path.substr(i + 1);
  if (domain.find('@') != std::string_view::npos) {
    p.error = relay_form("Addresses with more than one '@' are not accepted");
    return p;
  }
  if (domain.size() > kMaxDomainLength) {
    p.error = syntax_error(kind, "Path too long: domain over 255 octets");
    return p;
  }
  bool domain_ok = !domain.empty() && domain.front() == '[' ? is_rfc5321_address_literal(domain) : is_rfc5321_domain(domain);
  if (!domain_ok) {
    p.error = syntax_error(kind, "Syntax error in domain");
    return p;
  }
  p.ok = true;
  p.local_part = std::string(local);
  p.domain = std::string(domain);
  p.address = p.local_part + "@" + p.domain;
  return p;
}

}  // namespace tether::smtp
