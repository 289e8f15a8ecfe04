#include "smtp/table.h"

#include <cctype>

#include "core/ascii.h"

namespace tether::smtp {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string Table::describe() const {
  if (in_place) return "inline table";
  return "table '" + name + "'";
}

const TableEntry* Table::find(std::string_view key) const {
  for (const TableEntry& e : entries)
    if (ascii_iequals(e.key, key)) return &e;
  return nullptr;
}

bool hostname_match(std::string_view hostname, std::string_view pattern) {
  std::size_t h = 0, p = 0;
  while (p < pattern.size() && h < hostname.size()) {
    if (pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      // As OpenSMTPD: skip to the next occurrence of the character after the
      // stars (no backtracking); a trailing star swallows the rest.
      if (p == pattern.size()) {
        h = hostname.size();
        break;
      }
      while (h < hostname.size() && ascii_lower(hostname[h]) != ascii_lower(pattern[p])) ++h;
      continue;
    }
    if (ascii_lower(pattern[p]) != ascii_lower(hostname[h])) return false;
    ++p;
    ++h;
  }
  return h == hostname.size() && p == pattern.size();
}

const TableEntry* Table::match_domain(std::string_view domain) const {
  for (const TableEntry& e : entries)
    if (hostname_match(domain, e.key)) return &e;
  return nullptr;
}

MailAddress split_mail_address(std::string_view address) {
  MailAddress m;
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) {
    m.user = std::string(address);
  } else {
    m.user = std::string(address.substr(0, at));
    m.domain = std::string(address.substr(at + 1));
  }
  return m;
}

const TableEntry* Table::match_mail_address(std::string_view address, char subaddress_delimiter) const {
  MailAddress m1 = split_mail_address(address);
  for (const TableEntry& e : entries) {
    MailAddress m2 = split_mail_address(e.key);
    if (m2.user.empty() && m2.domain.empty()) return &e;  // catch-all
    if (!m2.domain.empty() && !hostname_match(m1.domain, m2.domain)) continue;
    if (!m2.user.empty()) {
      std::string user = m1.user;
      if (m2.user.find(subaddress_delimiter) == std::string::npos) {
        std::size_t tag = user.find(subaddress_delimiter);
        if (tag != std::string::npos) user.erase(tag);
      }
      if (!ascii_iequals(user, m2.user)) continue;
    }
    return &e;
  }
  return nullptr;
}

Result<IpPrefix> parse_network_address(std::string_view text) {
  std::string_view s = text;
  if (ascii_istarts_with(s, "IPv6:")) s.remove_prefix(5);
  if (!s.empty() && s.front() == '[') {
    if (s.size() < 2 || s.back() != ']')
      return Error(ErrorCode::invalid_argument, "'" + std::string(text) + "' has no closing ']'");
    s = s.substr(1, s.size() - 2);
    if (ascii_istarts_with(s, "IPv6:")) s.remove_prefix(5);
  }
  auto prefix = IpPrefix::parse(s);
  if (!prefix)
    return Error(ErrorCode::invalid_argument, "'" + std::string(text) + "' is not an IP address or network");
  return prefix;
}

const TableEntry* Table::match_source(const std::optional<IpAddress>& address) const {
  for (const TableEntry& e : entries) {
    if (!address) {
      if (ascii_iequals(e.key, "local")) return &e;
      continue;
    }
    auto prefix = parse_network_address(e.key);
    if (prefix && prefix->contains(*address)) return &e;
  }
  return nullptr;
}

Result<void> Table::compile_regexes() {
  auto compiled = std::make_shared<std::vector<PosixRegex>>();
  for (const TableEntry& e : entries) {
    auto re = PosixRegex::compile(e.key);
    if (!re) return re.error();
    compiled->push_back(std::move(*re));
  }
  regexes = std::move(compiled);
  return {};
}

const TableEntry* Table::match_regex(std::string_view text) const {
  if (regexes && regexes->size() == entries.size()) {
    for (std::size_t i = 0; i < entries.size(); ++i)
      if ((*regexes)[i].search(text)) return &entries[i];
    return nullptr;
  }
  for (const TableEntry& e : entries) {
    auto re = PosixRegex::compile(e.key);
    if (re && re->search(text)) return &e;
  }
  return nullptr;
}

std::vector<std::string> split_alias_targets(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = trim(value.substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

Result<RelayCredentials> parse_relay_credentials(std::string_view value) {
  std::size_t colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return Error(ErrorCode::invalid_argument, "expected 'user:password', got '" + std::string(value) + "'");
  return RelayCredentials{std::string(value.substr(0, colon)), std::string(value.substr(colon + 1))};
}

}  // namespace tether::smtp
