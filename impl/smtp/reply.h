#pragma once
// SMTP replies as the server writes them: "250 2.1.5 Recipient ok\r\n", with
// the RFC 3463 enhanced status code that ENHANCEDSTATUSCODES (RFC 2034)
// promises on every reply but the greeting and the EHLO/HELO answer.
//
// Replies written by someone else (a filter's message in smtpd.conf, the
// router's "550 Invalid recipient", an app's failure reason) go through
// sanitize_reply_text() and reply_from_text(), so that a CR or LF in them can
// never end our reply early and start a second one.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether::smtp {

struct Reply {
  int code = 0;        // 200..599
  std::string status;  // "2.1.5"; empty for the greeting and EHLO lines
  std::string text;

  // "250 2.1.5 Recipient ok\r\n"
  std::string line() const;
  bool positive() const { return code >= 200 && code < 400; }
};

// Control characters (CR and LF among them) become spaces; at most 400
// octets are kept, so that the line stays well inside RFC 5321's 512.
std::string sanitize_reply_text(std::string_view text);

// "250-first\r\n250-second\r\n250 last\r\n"; lines are sanitized.
std::string multiline_reply(int code, const std::vector<std::string>& lines);

// A reply written as text ("550 Invalid recipient", "451 4.3.0 try later"):
// its code when it starts with a 4xx/5xx one (otherwise fallback_code and the
// whole text), its enhanced status code when it has one of the same class,
// otherwise the fallback's detail with the code's class ("5.0.0" for a 550
// when fallback_status is "x.0.0"; the fallback's first digit is replaced).
Reply reply_from_text(std::string_view text, int fallback_code, std::string_view fallback_status);

// One line of a reply as a client reads it (RFC 5321 4.2: Reply-line =
// Reply-code [ ("-" / SP) textstring ] CRLF, the code's digits in 2-5, 0-5,
// 0-9). `line` is without its CRLF. Nothing when it is not a reply line.
// Shared by the delivery client and the capture dissector (pcap/), so that
// both read a server's replies the same way.
struct ReplyLine {
  int code = 0;
  bool more = false;      // "250-": further lines follow
  std::string_view text;  // after "ddd-" / "ddd "
};
std::optional<ReplyLine> parse_reply_line(std::string_view line);

// True for "2.1.5", "5.7.1", "4.4.2" (class.subject.detail, RFC 3463 2).
bool is_enhanced_status(std::string_view s);

}  // namespace tether::smtp
