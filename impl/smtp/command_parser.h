#pragma once
// SMTP command lines (RFC 5321 4.1) and the ESMTP parameters of MAIL and
// RCPT: SIZE (RFC 1870), BODY (RFC 6152), RET/ENVID/NOTIFY/ORCPT (RFC 3461),
// AUTH (RFC 4954 5). Pure functions over one line without its CRLF; the
// session decides what a parsed command means in its state.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/address.h"
#include "smtp/dsn.h"
#include "smtp/reply.h"

namespace tether::smtp {

enum class CommandVerb { helo, ehlo, mail, rcpt, data, rset, noop, quit, vrfy, expn, help, starttls, auth, unknown };

const char* to_string(CommandVerb verb);

struct CommandLine {
  CommandVerb verb = CommandVerb::unknown;
  std::string_view word;      // as the client wrote it ("ehlo")
  std::string_view argument;  // after the first space, trailing spaces removed
};

// The verb is matched case-insensitively (RFC 5321 2.4).
CommandLine parse_command_line(std::string_view line);

// The longest line, CRLF included, each command may send (RFC 5321
// 4.5.3.1.4: 512; "SMTP extensions may be used to increase this limit"):
// AUTH takes an initial response (RFC 4954 4: 12288), MAIL grows by SIZE
// (26, RFC 1870) and, with DSN offered, by RET and ENVID (100, RFC 3461
// 4.1), RCPT by NOTIFY and ORCPT (500, RFC 3461 4.1).
std::size_t max_command_line(CommandVerb verb, bool dsn);
constexpr std::size_t kMaxCommandLine = 512;
constexpr std::size_t kMaxAuthLine = 12288;

// RFC 3461 NOTIFY as bits; the same values as the queue's DsnNotify.
constexpr unsigned kNotifyNever = 1, kNotifySuccess = 2, kNotifyFailure = 4, kNotifyDelay = 8;

enum class BodyType { unspecified, seven_bit, eight_bit_mime };

struct MailCommand {
  ParsedPath path;  // path.ok false: path.error is the reply
  std::optional<std::uint64_t> size;
  BodyType body = BodyType::unspecified;
  DsnReturn ret = DsnReturn::unspecified;
  std::string envid;        // xtext as sent (RFC 3461 4.4)
  std::string auth;         // AUTH=<mailbox> or "<>" (RFC 4954 5), xtext as sent
};

struct RcptCommand {
  ParsedPath path;
  unsigned notify = 0;      // 0: not given
  std::string orcpt;        // "rfc822;user@example.com" with the address still xtext
};

// What the session offers, for deciding which parameters are known.
struct ParameterSupport {
  bool dsn = true;
  std::uint64_t max_size = 0;  // 0: no SIZE check here
};

// `argument` is the command's argument ("FROM:<a@b> SIZE=10"). On success
// the reply is empty (code 0); otherwise it is what to answer: 501 for
// syntax, 555 for an unknown or unoffered parameter (RFC 5321 4.1.1.11),
// 552 5.3.4 for a declared SIZE over the limit (RFC 1870 6), 553 for the
// path forms address.h refuses.
struct ParsedMail {
  MailCommand command;
  Reply error;
};
struct ParsedRcpt {
  RcptCommand command;
  Reply error;
};
ParsedMail parse_mail_command(std::string_view argument, const ParameterSupport& support);
ParsedRcpt parse_rcpt_command(std::string_view argument, const ParameterSupport& support, std::string_view hostname);

// RFC 3461 4: xtext ("+2B" escapes, printable ASCII otherwise, no '=').
bool is_valid_xtext(std::string_view text);
std::string decode_xtext(std::string_view text);  // assumes is_valid_xtext

}  // namespace tether::smtp
