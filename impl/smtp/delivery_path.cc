#include "smtp/delivery_path.h"

#include <charconv>
#include <optional>

#include "core/ascii.h"
#include "smtp/table.h"

namespace tether::smtp {

namespace {

constexpr std::string_view kEscaped = "!#$%&'*/?^`{|}~";

Error bad(std::string_view format, const std::string& why) {
  return Error(ErrorCode::invalid_argument, "delivery path '" + std::string(format) + "': " + why);
}

// "gilles+hackers@poolp.org" -> "gilles@poolp.org"; "gilles+hackers" -> "gilles".
std::string strip_subaddress(const std::string& value, char delimiter) {
  std::size_t tag = value.find(delimiter);
  if (tag == std::string::npos) return value;
  std::size_t at = value.find('@', tag);
  return value.substr(0, tag) + (at == std::string::npos ? std::string() : value.substr(at));
}

bool parse_index(std::string_view text, long& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out > -100000 && out < 100000;
}

// One %{...}: its value for this envelope and user, or an error naming it.
Result<std::string> expand_token(std::string_view format, std::string_view token, const DeliveryEnvelope& envelope,
                                 const UserRecord& user, char delimiter) {
  std::string_view name = token;
  std::string_view slice;
  std::string_view modifiers;
  bool sliced = false;
  std::size_t lbracket = token.find('[');
  if (lbracket != std::string_view::npos) {
    std::size_t rbracket = token.find(']', lbracket);
    if (rbracket == std::string_view::npos || rbracket == lbracket + 1)
      return bad(format, "bad index in %{" + std::string(token) + "}");
    name = token.substr(0, lbracket);
    slice = token.substr(lbracket + 1, rbracket - lbracket - 1);
    sliced = true;
    std::string_view rest = token.substr(rbracket + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad(format, "unexpected '" + std::string(rest) + "' in %{" + std::string(token) + "}");
      modifiers = rest.substr(1);
    }
  } else if (std::size_t colon = token.find(':'); colon != std::string_view::npos) {
    name = token.substr(0, colon);
    modifiers = token.substr(colon + 1);
  }

  MailAddress sender = split_mail_address(envelope.sender);
  MailAddress rcpt = split_mail_address(envelope.rcpt);
  MailAddress dest = split_mail_address(envelope.dest);
  std::string value;
  bool trusted = false;  // not escaped: the administrator's, not the sender's
  if (ascii_iequals(name, "sender")) value = envelope.sender;
  else if (ascii_iequals(name, "sender.user")) value = sender.user;
  else if (ascii_iequals(name, "sender.domain")) value = sender.domain;
  else if (ascii_iequals(name, "rcpt")) value = envelope.rcpt;
  else if (ascii_iequals(name, "rcpt.user")) value = rcpt.user;
  else if (ascii_iequals(name, "rcpt.domain")) value = rcpt.domain;
  else if (ascii_iequals(name, "dest")) value = envelope.dest;
  else if (ascii_iequals(name, "dest.user")) value = dest.user;
  else if (ascii_iequals(name, "dest.domain")) value = dest.domain;
  else if (ascii_iequals(name, "user.username")) value = user.username;
  else if (ascii_iequals(name, "user.directory")) value = user.directory, trusted = true;
  else if (ascii_iequals(name, "mbox.from")) value = envelope.sender.empty() ? "MAILER-DAEMON" : envelope.sender;
  else return bad(format, "unknown format specifier %{" + std::string(name) + "}");

  bool raw = false;
  while (!modifiers.empty()) {
    std::size_t bar = modifiers.find('|');
    std::string_view mod = modifiers.substr(0, bar);
    modifiers = bar == std::string_view::npos ? std::string_view() : modifiers.substr(bar + 1);
    if (ascii_iequals(mod, "lowercase")) {
      value = ascii_lower(value);
    } else if (ascii_iequals(mod, "uppercase")) {
      value = ascii_upper(value);
    } else if (ascii_iequals(mod, "strip")) {
      value = strip_subaddress(value, delimiter);
    } else if (ascii_iequals(mod, "raw")) {
      raw = true;
    } else {
      return bad(format, "unknown modifier '" + std::string(mod) + "' in %{" + std::string(token) + "}");
    }
  }

  if (!trusted) {
    for (char& c : value) {
      auto u = static_cast<unsigned char>(c);
      bool escape = u < 0x20 || u == 0x7f || c == '/' || (!raw && kEscaped.find(c) != std::string_view::npos);
      if (escape) c = ':';
    }
    if (value == "." || value == "..")
      return bad(format, "%{" + std::string(name) + "} is '" + value + "', which is not a file name");
  }

  if (!sliced || value.empty()) return value;
  long len = long(value.size());
  long begin = 0;
  long end = len - 1;
  std::size_t colon = slice.find(':');
  bool ok = true;
  if (colon == std::string_view::npos) {
    ok = parse_index(slice, begin);
    end = begin;
  } else {
    if (colon > 0) ok = parse_index(slice.substr(0, colon), begin);
    if (ok && colon + 1 < slice.size()) ok = parse_index(slice.substr(colon + 1), end);
  }
  if (!ok) return bad(format, "bad index in %{" + std::string(token) + "}");
  if (begin < 0) begin += len;
  if (end < 0) end += len;
  if (end >= len) end = len - 1;
  if (begin < 0 || begin >= len || end < begin)
    return bad(format, "index out of range in %{" + std::string(token) + "} for '" + value + "'");
  return value.substr(std::size_t(begin), std::size_t(end - begin + 1));
}

Result<std::filesystem::path> checked_path(std::string_view format, const std::string& expanded) {
  if (expanded.empty() || expanded.front() != '/')
    return bad(format, "expands to '" + expanded + "', which is not an absolute path");
  std::filesystem::path path(expanded);
  for (const std::filesystem::path& part : path)
    if (part == "..") return bad(format, "expands to '" + expanded + "', which contains '..'");
  return path;
}

}  // namespace

Result<std::string> expand_delivery_format(std::string_view format, const DeliveryEnvelope& envelope,
                                           const UserRecord& user, char subaddress_delimiter) {
  std::string out;
  std::size_t i = 0;
  if (format.substr(0, 2) == "~/") {
    out = user.directory + "/";
    i = 2;
  }
  while (i < format.size()) {
    char c = format[i];
    if (c == '%' && i + 1 < format.size() && format[i + 1] == '%') {
      out += '%';
      i += 2;
      continue;
    }
    if (c != '%' || i + 1 >= format.size() || format[i + 1] != '{') {
      out += c;
      ++i;
      continue;
    }
    std::size_t close = format.find('}', i + 2);
    if (close == std::string_view::npos) return bad(format, "unterminated %{");
    Result<std::string> value =
        expand_token(format, format.substr(i + 2, close - i - 2), envelope, user, subaddress_delimiter);
    if (!value) return value.error();
    out += *value;
    i = close + 1;
  }
  return out;
}

Result<std::filesystem::path> maildir_path(std::string_view configured_path, const DeliveryEnvelope& envelope,
                                           const UserRecord& user, char subaddress_delimiter) {
  std::string_view format = configured_path.empty() ? std::string_view("~/Maildir") : configured_path;
  Result<std::string> expanded = expand_delivery_format(format, envelope, user, subaddress_delimiter);
  if (!expanded) return expanded.error();
  return checked_path(format, *expanded);
}

Result<std::filesystem::path> mbox_path(const std::filesystem::path& spool, const UserRecord& user) {
  const std::string& name = user.username;
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    return Error(ErrorCode::invalid_argument, "user name '" + name + "' cannot name an mbox");
  return spool / name;
}

}  // namespace tether::smtp
