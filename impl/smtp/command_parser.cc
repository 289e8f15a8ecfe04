#include "smtp/command_parser.h"

#include <cctype>
#include <vector>

#include "core/ascii.h"

namespace tether::smtp {

namespace {

bool is_hex(char c) { return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'F'); }

struct Parameter {
  std::string_view keyword;
  std::string_view value;
  bool has_value = false;
};

// RFC 5321 4.1.2: esmtp-keyword ["=" esmtp-value], separated by spaces.
bool split_parameters(std::string_view text, std::vector<Parameter>& out) {
  while (!text.empty()) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (text.empty()) break;
    std::size_t sp = text.find(' ');
    std::string_view item = text.substr(0, sp);
    text = sp == std::string_view::npos ? std::string_view() : text.substr(sp);
    Parameter p;
    std::size_t eq = item.find('=');
    p.keyword = item.substr(0, eq);
    if (eq != std::string_view::npos) {
      p.has_value = true;
      p.value = item.substr(eq + 1);
      if (p.value.empty()) return false;
      for (char c : p.value)
        if (c < 33 || c > 126 || c == '=') return false;
    }
    if (p.keyword.empty() || !std::isalnum(static_cast<unsigned char>(p.keyword[0]))) return false;
    for (char c : p.keyword)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    for (const Parameter& seen : out)
      if (ascii_iequals(seen.keyword, p.keyword)) return false;  // RFC 1869 6: at most once
    out.push_back(p);
  }
  return true;
}

Reply bad_parameter(std::string_view keyword) {
  return Reply{501, "5.5.4", "Invalid value for parameter " + std::string(keyword)};
}
Reply unknown_parameter(std::string_view keyword) {
  return Reply{555, "5.5.4", "Unsupported parameter " + std::string(keyword)};
}

// "FROM:" / "TO:", case-insensitive, then the path.
std::optional<std::string_view> after_keyword(std::string_view argument, std::string_view keyword) {
  if (!ascii_istarts_with(argument, keyword)) return std::nullopt;
  return argument.substr(keyword.size());
}

}  // namespace

const char* to_string(CommandVerb verb) {
  switch (verb) {
    case CommandVerb::helo: return "HELO";
    case CommandVerb::ehlo: return "EHLO";
    case CommandVerb::mail: return "MAIL";
    case CommandVerb::rcpt: return "RCPT";
    case CommandVerb::data: return "DATA";
    case CommandVerb::rset: return "RSET";
    case CommandVerb::noop: return "NOOP";
    case CommandVerb::quit: return "QUIT";
    case CommandVerb::vrfy: return "VRFY";
    case CommandVerb::expn: return "EXPN";
    case CommandVerb::help: return "HELP";
    case CommandVerb::starttls: return "STARTTLS";
    case CommandVerb::auth: return "AUTH";
    case CommandVerb::unknown: return "unknown";
  }
  return "unknown";
}

CommandLine parse_command_line(std::string_view line) {
  static const std::pair<const char*, CommandVerb> kVerbs[] = {
      {"HELO", CommandVerb::helo}, {"EHLO", CommandVerb::ehlo}, {"MAIL", CommandVerb::mail},
      {"RCPT", CommandVerb::rcpt}, {"DATA", CommandVerb::data}, {"RSET", CommandVerb::rset},
      {"NOOP", CommandVerb::noop}, {"QUIT", CommandVerb::quit}, {"VRFY", CommandVerb::vrfy},
      {"EXPN", CommandVerb::expn}, {"HELP", CommandVerb::help}, {"STARTTLS", CommandVerb::starttls},
      {"AUTH", CommandVerb::auth}};
  CommandLine c;
  std::size_t sp = line.find(' ');
  c.word = line.substr(0, sp);
  if (sp != std::string_view::npos) {
    std::string_view arg = line.substr(sp + 1);
    while (!arg.empty() && (arg.back() == ' ' || arg.back() == '\t')) arg.remove_suffix(1);
    c.argument = arg;
  }
  for (const auto& v : kVerbs)
    if (ascii_iequals(c.word, v.first)) c.verb = v.second;
  return c;
}

std::size_t max_command_line(CommandVerb verb, bool dsn) {
  switch (verb) {
    case CommandVerb::auth: return kMaxAuthLine;
    case CommandVerb::mail: return kMaxCommandLine + 26 + (dsn ? 100 : 0) + 500;  // + AUTH=<mailbox>
    case CommandVerb::rcpt: return kMaxCommandLine + (dsn ? 500 : 0);
    default: return kMaxCommandLine;
  }
}

bool is_valid_xtext(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) return false;
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') {
      return false;
    }
  }
  return true;
}

std::string decode_xtext(std::string_view text) {
  auto hex = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'A' + 10; };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && i + 2 < text.size()) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

ParsedMail parse_mail_command(std::string_view argument, const ParameterSupport& support) {
  ParsedMail r;
  std::optional<std::string_view> rest = after_keyword(argument, "FROM:");
  if (!rest) {
    r.error = Reply{501, "5.5.4", "Syntax: MAIL FROM:<address>"};
    return r;
  }
  MailCommand& m = r.command;
  m.path = parse_path(*rest, PathKind::reverse, {});
  if (!m.path.ok) {
    r.error = m.path.error;
    return r;
  }
  std::vector<Parameter> params;
  if (!split_parameters(m.path.rest, params)) {
    r.error = Reply{501, "5.5.4", "Syntax error in parameters"};
    return r;
  }
  for (const Parameter& p : params) {
    if (ascii_iequals(p.keyword, "SIZE")) {
      if (!p.has_value || p.value.size() > 20) return r.error = bad_parameter(p.keyword), r;
      std::uint64_t n = 0;
      for (char c : p.value) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return r.error = bad_parameter(p.keyword), r;
        std::uint64_t d = static_cast<std::uint64_t>(c - '0');
        if (n > (UINT64_MAX - d) / 10) {
          n = UINT64_MAX;
          break;
        }
        n = n * 10 + d;
      }
      m.size = n;
    } else if (ascii_iequals(p.keyword, "BODY")) {
      if (!p.has_value) return r.error = bad_parameter(p.keyword), r;
      if (ascii_iequals(p.value, "7BIT")) m.body = BodyType::seven_bit;
      else if (ascii_iequals(p.value, "8BITMIME")) m.body = BodyType::eight_bit_mime;
      else return r.error = Reply{555, "5.5.4", "Unsupported BODY type"}, r;  // BINARYMIME needs CHUNKING
    } else if (ascii_iequals(p.keyword, "RET") && support.dsn) {
      if (!p.has_value) return r.error = bad_parameter(p.keyword), r;
      if (ascii_iequals(p.value, "FULL")) m.ret = DsnReturn::full;
      else if (ascii_iequals(p.value, "HDRS")) m.ret = DsnReturn::headers;
      else return r.error = bad_parameter(p.keyword), r;
    } else if (ascii_iequals(p.keyword, "ENVID") && support.dsn) {
      if (!p.has_value || p.value.size() > 100 || !is_valid_xtext(p.value))
        return r.error = bad_parameter(p.keyword), r;
      m.envid = std::string(p.value);
    } else if (ascii_iequals(p.keyword, "AUTH")) {
      if (!p.has_value || !is_valid_xtext(p.value)) return r.error = bad_parameter(p.keyword), r;
      m.auth = std::string(p.value);
    } else {
      r.error = unknown_parameter(p.keyword);
      return r;
    }
  }
  if (m.size && support.max_size && *m.size > support.max_size) {
    r.error = Reply{552, "5.3.4", "Message size exceeds fixed maximum message size"};
    return r;
  }
  return r;
}

ParsedRcpt parse_rcpt_command(std::string_view argument, const ParameterSupport& support, std::string_view hostname) {
  ParsedRcpt r;
  std::optional<std::string_view> rest = after_keyword(argument, "TO:");
  if (!rest) {
    r.error = Reply{501, "5.5.4", "Syntax: RCPT TO:<address>"};
    return r;
  }
  RcptCommand& c = r.command;
  c.path = parse_path(*rest, PathKind::forward, hostname);
  if (!c.path.ok) {
    r.error = c.path.error;
    return r;
  }
  std::vector<Parameter> params;
  if (!split_parameters(c.path.rest, params)) {
    r.error = Reply{501, "5.5.4", "Syntax error in parameters"};
    return r;
  }
  for (const Parameter& p : params) {
    if (ascii_iequals(p.keyword, "NOTIFY") && support.dsn) {
      if (!p.has_value) return r.error = bad_parameter(p.keyword), r;
      unsigned bits = 0;
      std::string_view v = p.value;
      while (true) {
        std::size_t comma = v.find(',');
        std::string_view item = v.substr(0, comma);
        unsigned bit = ascii_iequals(item, "NEVER")     ? kNotifyNever
                       : ascii_iequals(item, "SUCCESS") ? kNotifySuccess
                       : ascii_iequals(item, "FAILURE") ? kNotifyFailure
                       : ascii_iequals(item, "DELAY")   ? kNotifyDelay
                                                  : 0;
        if (bit == 0 || (bits & bit)) return r.error = bad_parameter(p.keyword), r;
        bits |= bit;
        if (comma == std::string_view::npos) break;
        v = v.substr(comma + 1);
      }
      // RFC 3461 4.1: NEVER stands alone.
      if ((bits & kNotifyNever) && bits != kNotifyNever) return r.error = bad_parameter(p.keyword), r;
      c.notify = bits;
    } else if (ascii_iequals(p.keyword, "ORCPT") && support.dsn) {
      std::size_t semi = p.value.find(';');
      if (!p.has_value || semi == 0 || semi == std::string_view::npos || semi + 1 == p.value.size() ||
          p.value.size() > 500 || !is_valid_xtext(p.value.substr(semi + 1)))
        return r.error = bad_parameter(p.keyword), r;
      for (char ch : p.value.substr(0, semi))
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') return r.error = bad_parameter(p.keyword), r;
      c.orcpt = std::string(p.value);
    } else {
      r.error = unknown_parameter(p.keyword);
      return r;
    }
  }
  return r;
}

}  // namespace tether::smtp
