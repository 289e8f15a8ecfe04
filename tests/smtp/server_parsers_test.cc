// The pieces of the server session on their own: command lines and ESMTP
// parameters, paths, SASL and base64, replies, the DATA reader and the
// Received: date.

#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>

#include "smtp/address.h"
#include "smtp/command_parser.h"
#include "smtp/data_reader.h"
#include "smtp/received_header.h"
#include "smtp/reply.h"
#include "smtp/sasl.h"

using namespace tether;
using namespace tether::smtp;

namespace {

std::string content_of(const DataReader& r) { return std::string(r.content().begin(), r.content().end()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(server_parsers)

// RFC 5321 4.2: the client's (and the capture dissector's) reading of a reply line.
BOOST_AUTO_TEST_CASE(reply_lines) {
  std::optional<ReplyLine> r = parse_reply_line("250-mx.example.com Hello");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->code == 250);
  BOOST_TEST(r->more);
  BOOST_TEST(r->text == "mx.example.com Hello");
  r = parse_reply_line("354");
  BOOST_REQUIRE(r);
  BOOST_TEST(!r->more);
  BOOST_TEST(r->text.empty());
  BOOST_TEST(!parse_reply_line("199 too low"));
  BOOST_TEST(!parse_reply_line("260 second digit"));
  BOOST_TEST(!parse_reply_line("250x"));
  BOOST_TEST(!parse_reply_line("EHLO x"));
  BOOST_TEST(!parse_reply_line(""));
}

BOOST_AUTO_TEST_CASE(command_lines) {
  CommandLine c = parse_command_line("mail FROM:<a@b.example> SIZE=10  ");
  BOOST_TEST((c.verb == CommandVerb::mail));
  BOOST_TEST(c.word == "mail");
  BOOST_TEST(c.argument == "FROM:<a@b.example> SIZE=10");
  BOOST_TEST((parse_command_line("StartTLS").verb == CommandVerb::starttls));
  BOOST_TEST((parse_command_line("QUITE").verb == CommandVerb::unknown));
  BOOST_TEST((parse_command_line("").verb == CommandVerb::unknown));
  BOOST_TEST(max_command_line(CommandVerb::noop, true) == 512u);
  BOOST_TEST(max_command_line(CommandVerb::auth, false) == 12288u);
  BOOST_TEST(max_command_line(CommandVerb::rcpt, true) == 1012u);
  BOOST_TEST(max_command_line(CommandVerb::rcpt, false) == 512u);
}

BOOST_AUTO_TEST_CASE(mail_parameters) {
  ParameterSupport s;
  s.max_size = 1000;
  ParsedMail m = parse_mail_command("FROM:<a@b.example> size=1000 body=7bit AUTH=<> RET=FULL ENVID=abc", s);
  BOOST_TEST(m.error.code == 0);
  BOOST_TEST(*m.command.size == 1000u);
  BOOST_TEST((m.command.body == BodyType::seven_bit));
  BOOST_TEST((m.command.ret == DsnReturn::full));
  BOOST_TEST(m.command.auth == "<>");
  BOOST_TEST(m.command.envid == "abc");
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> SIZE=1001", s).error.line() ==
             "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> SIZE=99999999999999999999999", s).error.code == 501);
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> SIZE=x", s).error.code == 501);
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> BODY=BINARYMIME", s).error.code == 555);
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> SMTPUTF8", s).error.code == 555);
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> SIZE=1 SIZE=2", s).error.code == 501);
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> ENVID=a=b", s).error.code == 501);
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> ENVID=" + std::string(101, 'x'), s).error.code == 501);
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> ENVID=a+zz", s).error.code == 501);
  BOOST_TEST(parse_mail_command("FROM <a@b.example>", s).error.line() == "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
  s.dsn = false;
  BOOST_TEST(parse_mail_command("FROM:<a@b.example> RET=FULL", s).error.code == 555);
}

BOOST_AUTO_TEST_CASE(rcpt_parameters) {
  ParameterSupport s;
  ParsedRcpt r = parse_rcpt_command("TO:<a@b.example> NOTIFY=delay,failure ORCPT=rfc822;a+40b@c", s, "mx");
  BOOST_TEST(r.error.code == 0);
  BOOST_TEST(r.command.notify == (kNotifyDelay | kNotifyFailure));
  BOOST_TEST(r.command.orcpt == "rfc822;a+40b@c");
  BOOST_TEST(parse_rcpt_command("TO:<a@b.example> NOTIFY=NEVER", s, "mx").command.notify == kNotifyNever);
  BOOST_TEST(parse_rcpt_command("TO:<a@b.example> NOTIFY=SUCCESS,SUCCESS", s, "mx").error.code == 501);
  BOOST_TEST(parse_rcpt_command("TO:<a@b.example> NOTIFY=", s, "mx").error.code == 501);
  BOOST_TEST(parse_rcpt_command("TO:<a@b.example> ORCPT=rfc822", s, "mx").error.code == 501);
  BOOST_TEST(parse_rcpt_command("TO:<a@b.example> ORCPT=;x", s, "mx").error.code == 501);
  BOOST_TEST(parse_rcpt_command("TO:<a@b.example>junk", s, "mx").error.code == 501);
  BOOST_TEST(decode_xtext("a+40b+2B") == "a@b+");
}

BOOST_AUTO_TEST_CASE(paths) {
  ParsedPath p = parse_path("<\"john \\\"j\\\" doe\"@Example.COM> SIZE=1", PathKind::forward, "mx");
  BOOST_TEST(p.ok);
  BOOST_TEST(p.local_part == "\"john \\\"j\\\" doe\"");
  BOOST_TEST(p.domain == "Example.COM");
  BOOST_TEST(p.rest == "SIZE=1");
  p = parse_path("<a>b@c.example>", PathKind::forward, "mx");  // '>' ends the path
  BOOST_TEST(!p.ok);
  p = parse_path("<\"a>b\"@c.example>", PathKind::forward, "mx");  // ... unless quoted
  BOOST_TEST(p.ok);
  BOOST_TEST(parse_path("<>", PathKind::reverse, "mx").ok);
  BOOST_TEST(parse_path("<user@[IPv6:2001:db8::1]>", PathKind::forward, "mx").ok);
  BOOST_TEST(!parse_path("<user@[2001:db8::1]>", PathKind::forward, "mx").ok);
  BOOST_TEST(!parse_path("<user@[IPv6:192.0.2.1]>", PathKind::forward, "mx").ok);
  BOOST_TEST(!parse_path("<user@[1.2.3]>", PathKind::forward, "mx").ok);
  BOOST_TEST(!parse_path("<user@exa_mple.com>", PathKind::forward, "mx").ok);
  BOOST_TEST(!parse_path("<user@" + std::string(64, 'a') + ".com>", PathKind::forward, "mx").ok);  // label > 63
  BOOST_TEST(parse_path("<user@" + std::string(63, 'a') + ".com>", PathKind::forward, "mx").ok);
  BOOST_TEST(!parse_path("<\"unterminated@x.example>", PathKind::forward, "mx").ok);
  BOOST_TEST(parse_path("<@x:u@y.example>", PathKind::reverse, "mx").error.line() ==
             "553 5.1.3 Source routes are not accepted\r\n");
  BOOST_TEST(is_rfc5321_domain("localhost"));
  BOOST_TEST(is_rfc5321_domain("a-b.c0"));
  BOOST_TEST(!is_rfc5321_domain("a-.c"));
  BOOST_TEST(!is_rfc5321_domain(""));
  BOOST_TEST(is_rfc5321_address_literal("[192.0.2.1]"));
  BOOST_TEST(!is_rfc5321_address_literal("[0x7f.1]"));
}

BOOST_AUTO_TEST_CASE(base64_and_sasl_plain) {
  BOOST_TEST(base64_encode("") == "");
  BOOST_TEST(base64_encode("f") == "Zg==");
  BOOST_TEST(base64_encode("fo") == "Zm8=");
  BOOST_TEST(base64_encode("foo") == "Zm9v");
  BOOST_TEST(*base64_decode("Zm9vYmFy") == "foobar");
  BOOST_TEST(*base64_decode("Zg==") == "f");
  BOOST_TEST(!base64_decode("Zg="));
  BOOST_TEST(!base64_decode("Zh=="));  // non-zero bits under the padding
  BOOST_TEST(!base64_decode("Z==="));
  BOOST_TEST(!base64_decode("Zg==Zg=="));
  BOOST_TEST(!base64_decode("Zm9v YmFy"));
  std::string msg("\0mailuser\0foobar", 16);
  BOOST_TEST(base64_encode(msg) == "AG1haWx1c2VyAGZvb2Jhcg==");
  auto c = parse_sasl_plain(msg);
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->authzid == "");
  BOOST_TEST(c->authcid == "mailuser");
  BOOST_TEST(c->password == "foobar");
  BOOST_TEST(!parse_sasl_plain(std::string("\0\0pw", 4)));
  BOOST_TEST(!parse_sasl_plain(std::string("a\0b\0c\0d", 7)));
}

BOOST_AUTO_TEST_CASE(replies) {
  BOOST_TEST((Reply{250, "2.1.5", "Recipient ok"}.line() == "250 2.1.5 Recipient ok\r\n"));
  BOOST_TEST((Reply{220, "", "a\r\nb"}.line() == "220 a  b\r\n"));
  BOOST_TEST(multiline_reply(250, {"a", "b", "c"}) == "250-a\r\n250-b\r\n250 c\r\n");
  BOOST_TEST(reply_from_text("550 Invalid recipient", 451, "4.0.0").line() == "550 5.0.0 Invalid recipient\r\n");
  BOOST_TEST(reply_from_text("451 4.3.0 later", 550, "5.0.0").line() == "451 4.3.0 later\r\n");
  BOOST_TEST(reply_from_text("550 4.3.0 mixed", 550, "5.7.1").line() == "550 5.7.1 4.3.0 mixed\r\n");
  BOOST_TEST(reply_from_text("go away", 554, "5.7.1").line() == "554 5.7.1 go away\r\n");
  BOOST_TEST(reply_from_text("250 ok", 554, "").line() == "554 250 ok\r\n");  // only 4xx/5xx taken from text
  BOOST_TEST(sanitize_reply_text(std::string(1000, 'x')).size() == 400u);
  BOOST_TEST(is_enhanced_status("5.7.11"));
  BOOST_TEST(!is_enhanced_status("3.1.1"));
  BOOST_TEST(!is_enhanced_status("5.1"));
}

BOOST_AUTO_TEST_CASE(data_reader_end_of_data_and_stuffing) {
  DataReader r;
  std::string in = "a\r\n..b\r\n.\r\nTRAILING";
  std::size_t used = r.consume(ByteView(in));
  BOOST_TEST(r.finished());
  BOOST_TEST(used == in.size() - 8);
  BOOST_TEST(content_of(r) == "a\r\n.b\r\n");
  BOOST_TEST(r.acceptable());

  DataReader empty;
  BOOST_TEST(empty.consume(ByteView(std::string_view(".\r\n"))) == 3u);
  BOOST_TEST(empty.finished());
  BOOST_TEST(empty.content().empty());

  // Each bare CR/LF variant: no end, the flag set, the text kept.
  for (std::string v : {"x\n.\nmore", "x\r.\rmore", "x\r\n.\nmore", "x\n.\r\nmore", "x\r\n.\rmore"}) {
    DataReader d;
    BOOST_TEST(d.consume(ByteView(v)) == v.size());
    BOOST_TEST(!d.finished(), v);
    BOOST_TEST(d.bare_cr_or_lf(), v);
  }
  DataReader nul;
  std::string n("x\r\n\0.\r\nmore\r\n", 13);
  BOOST_TEST(nul.consume(ByteView(n)) == n.size());
  BOOST_TEST(!nul.finished());
  BOOST_TEST(nul.nul());
  BOOST_TEST(!nul.bare_cr_or_lf());
}

BOOST_AUTO_TEST_CASE(data_reader_split_crlf_and_limits) {
  DataReader r(DataLimits{10, 20, 15});
  BOOST_TEST(r.consume(ByteView(std::string_view("12345678\r"))) == 9u);
  BOOST_TEST(r.consume(ByteView(std::string_view("\n."))) == 2u);
  BOOST_TEST(!r.line_too_long());  // 10 with the CRLF
  BOOST_TEST(r.consume(ByteView(std::string_view("\r"))) == 1u);
  BOOST_TEST(!r.finished());
  BOOST_TEST(r.consume(ByteView(std::string_view("\n"))) == 1u);
  BOOST_TEST(r.finished());
  BOOST_TEST(content_of(r) == "12345678\r\n");

  DataReader longline(DataLimits{10, 20, 1000});
  longline.consume(ByteView(std::string_view("123456789\r\n.\r\n")));
  BOOST_TEST(longline.finished());
  BOOST_TEST(longline.line_too_long());

  DataReader big(DataLimits{1000, 2000, 15});
  big.consume(ByteView(std::string_view("0123456789\r\n0123456789\r\n.\r\n")));
  BOOST_TEST(big.finished());
  BOOST_TEST(big.too_big());
  BOOST_TEST(big.size() == 24u);
  BOOST_TEST(big.content().empty());

  DataReader fatal(DataLimits{10, 20, 1000});
  std::string x(30, 'x');
  BOOST_TEST(fatal.consume(ByteView(x)) == 20u);
  BOOST_TEST(fatal.fatal());
}

BOOST_AUTO_TEST_CASE(data_reader_counts_received_in_the_header_section) {
  DataReader r;
  r.consume(ByteView(std::string_view("Received: a\r\n b\r\nreceived :c\r\nReceivedX: no\r\nX-Received: no\r\n"
                                      "Subject: s\r\n\r\nReceived: body\r\n.\r\n")));
  BOOST_TEST(r.finished());
  BOOST_TEST(r.received_headers() == 2);
}

BOOST_AUTO_TEST_CASE(rfc5322_dates) {
  BOOST_TEST(format_rfc5322_date(WallTime::from_unix_seconds(0)) == "Thu, 1 Jan 1970 00:00:00 +0000");
  BOOST_TEST(format_rfc5322_date(WallTime::from_unix_seconds(951782400)) == "Tue, 29 Feb 2000 00:00:00 +0000");
  BOOST_TEST(format_rfc5322_date(WallTime::from_unix_seconds(1795000000)) == "Wed, 18 Nov 2026 11:06:40 +0000");
  BOOST_TEST(format_rfc5322_date(WallTime::from_unix_seconds(4102444799)) == "Thu, 31 Dec 2099 23:59:59 +0000");
}

BOOST_AUTO_TEST_SUITE_END()
