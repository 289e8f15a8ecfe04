// The server session driven by byte scripts and a hand-moved clock: a whole
// transaction, the EHLO keywords, command order, the router's answers, the
// open-relay address forms, RFC 5321 limits, pipelining, SMTP smuggling,
// timeouts (slowloris included), loop detection, Received:, dot-unstuffing
// and the listener's connect filters. TLS and AUTH are in
// server_session_tls_test.cc.

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "server_session_harness.h"
#include "smtp/config_parser.h"
#include "smtp/seed_configs.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

const char kReceivedPlain[] =
    "Received: from client.example.net (client.example.net [198.51.100.7])\r\n"
    "\tby mx.example.com (tether) with ESMTP id 1a2b3c4d\r\n"
    "\tfor <test@example.com>;\r\n"
    "\tWed, 18 Nov 2026 11:06:40 +0000\r\n";

// EHLO, MAIL and RCPT, each checked; leaves the session ready for DATA.
void open_transaction(SessionHarness& h, const std::string& rcpt = "test@example.com") {
  BOOST_TEST(reply_code(h.send("EHLO client.example.net\r\n")) == 250);
  BOOST_TEST(h.send("MAIL FROM:<alice@other.example.net>\r\n") == "250 2.1.0 Ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<" + rcpt + ">\r\n") == "250 2.1.5 Recipient ok\r\n");
}

std::shared_ptr<const Config> config_from_text(const std::string& text) {
  ConfigParseResult parsed = parse_config(text, "test.conf", memory_loader({}));
  BOOST_REQUIRE_MESSAGE(parsed.ok(), parsed.error_text());
  return std::make_shared<const Config>(std::move(parsed.config));
}

// mx2's listener with the seed's filter chain "incoming".
Listener seed_mx2_incoming_listener(const Config& config) {
  for (const Listener& l : config.listeners)
    if (l.filter == "incoming") return l;
  BOOST_FAIL("mx2 has no listener with the filter chain 'incoming'");
  return Listener();
}

std::shared_ptr<const Config> seed_mx2_config() {
  ConfigParseResult parsed = parse_seed("mx2");
  BOOST_REQUIRE(parsed.ok());
  return std::make_shared<const Config>(std::move(parsed.config));
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

std::string body_of(const MessageToCommit& m) {
  std::string s(m.content.begin(), m.content.end());
  std::size_t end = s.find(" +0000\r\n");  // the end of our Received: field
  return end == std::string::npos ? s : s.substr(end + 8);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_session)

BOOST_AUTO_TEST_CASE(a_complete_transaction) {
  SessionHarness h;
  BOOST_TEST(h.start() == "220 mx.example.com ESMTP tether\r\n");
  BOOST_TEST(h.send("EHLO client.example.net\r\n") ==
             "250-mx.example.com Hello client.example.net [198.51.100.7], pleased to meet you\r\n"
             "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SIZE 36700160\r\n250-DSN\r\n250 HELP\r\n");
  BOOST_TEST(h.send("MAIL FROM:<alice@other.example.net> SIZE=120 BODY=8BITMIME\r\n") == "250 2.1.0 Ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("DATA\r\n") == "354 End data with <CR><LF>.<CR><LF>\r\n");
  BOOST_TEST(h.send("Subject: hello\r\n\r\nHi there.\r\n.\r\n") ==
             "250 2.0.0 1a2b3c4d Message accepted for delivery\r\n");
  BOOST_TEST(h.send("QUIT\r\n") == "221 2.0.0 mx.example.com Bye\r\n");
  BOOST_TEST(h.session().closed());
  BOOST_TEST(h.session().close_reason() == "quit");

  BOOST_REQUIRE(h.committed.size() == 1u);
  const MessageToCommit& m = h.committed[0];
  BOOST_TEST(std::string(m.content.begin(), m.content.end()) ==
             std::string(kReceivedPlain) + "Subject: hello\r\n\r\nHi there.\r\n");
  const SessionEnvelope& e = m.envelope;
  BOOST_TEST(e.id == "1a2b3c4d");
  BOOST_TEST(e.mail_from == "alice@other.example.net");
  BOOST_REQUIRE(e.recipients.size() == 1u);
  BOOST_TEST(e.recipients[0].address == "test@example.com");
  BOOST_TEST(e.recipients[0].action == "relay_in");
  BOOST_TEST(e.helo == "client.example.net");
  BOOST_TEST(e.esmtp);
  BOOST_TEST(!e.tls);
  BOOST_TEST(e.auth_user.empty());
  BOOST_TEST(*e.declared_size == 120u);
  BOOST_TEST((e.body == BodyType::eight_bit_mime));
  BOOST_TEST(e.remote.to_string() == "198.51.100.7:41000");

  BOOST_REQUIRE(h.routed.size() == 1u);
  const RouteRequest& r = h.routed[0];
  BOOST_TEST(r.source->to_string() == "198.51.100.7");
  BOOST_TEST(r.rdns == "client.example.net");
  BOOST_TEST(r.helo == "client.example.net");
  BOOST_TEST(r.mail_from == "alice@other.example.net");
  BOOST_TEST(r.rcpt_to == "test@example.com");
  BOOST_TEST(!r.tls);
  BOOST_TEST(!r.authenticated);
}

BOOST_AUTO_TEST_CASE(two_messages_rset_and_the_null_sender) {
  SessionHarness h;
  h.start();
  open_transaction(h);
  BOOST_TEST(h.send("RSET\r\n") == "250 2.0.0 Reset state\r\n");
  BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "503 5.5.1 Need MAIL before RCPT\r\n");
  BOOST_TEST(h.send("MAIL FROM:<>\r\n") == "250 2.1.0 Ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<postmaster@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");  // duplicate: kept once
  h.send("DATA\r\n");
  BOOST_TEST(reply_code(h.send("a\r\n.\r\n")) == 250);
  open_transaction(h);
  h.send("DATA\r\n");
  BOOST_TEST(h.send("b\r\n.\r\n") == "250 2.0.0 1a2b3c4e Message accepted for delivery\r\n");
  BOOST_REQUIRE(h.committed.size() == 2u);
  BOOST_TEST(h.committed[0].envelope.mail_from == "");
  BOOST_TEST(h.committed[0].envelope.recipients.size() == 2u);
  // Two recipients: no "for" clause in Received:, so Bcc copies stay private.
  BOOST_TEST(!contains(std::string(h.committed[0].content.begin(), h.committed[0].content.end()), "for <"));
  BOOST_TEST(body_of(h.committed[1]) == "b\r\n");
  BOOST_TEST(h.session().messages() == 2u);
}

BOOST_AUTO_TEST_CASE(ehlo_keywords_follow_the_listener) {
  {
    SessionHarness h;
    h.options.listener.no_dsn = true;
    h.start();
    std::string r = h.send("EHLO c.example\r\n");
    BOOST_TEST(!contains(r, "DSN"));
    BOOST_TEST(!contains(r, "STARTTLS"));
    BOOST_TEST(!contains(r, "AUTH"));
    BOOST_TEST(!contains(r, "PIPELINING"));
    BOOST_TEST(h.send("MAIL FROM:<a@b.example> RET=HDRS\r\n") == "555 5.5.4 Unsupported parameter RET\r\n");
  }
  {
    SessionHarness h;
    h.options.tls = test_server_tls();
    h.options.listener.auth = Listener::Auth::optional;
    h.options.limits.max_message_size = 1000;
    h.start();
    BOOST_TEST(h.send("EHLO c.example\r\n") ==
               "250-mx.example.com Hello c.example [198.51.100.7], pleased to meet you\r\n"
               "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SIZE 1000\r\n250-DSN\r\n250-STARTTLS\r\n"
               "250 HELP\r\n");  // AUTH only once TLS is up
  }
  {
    SessionHarness h;
    h.start();
    BOOST_TEST(h.send("HELO c.example\r\n") ==
               "250 mx.example.com Hello c.example [198.51.100.7], pleased to meet you\r\n");
    BOOST_TEST(h.send("MAIL FROM:<a@b.example> SIZE=10\r\n") == "555 5.5.4 Parameters need EHLO\r\n");
    BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "250 2.1.0 Ok\r\n");
    BOOST_TEST(h.send("RCPT TO:<test@example.com> NOTIFY=NEVER\r\n") == "555 5.5.4 Parameters need EHLO\r\n");
    BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
    h.send("DATA\r\n");
    h.send("x\r\n.\r\n");
    BOOST_REQUIRE(h.committed.size() == 1u);
    BOOST_TEST(contains(std::string(h.committed[0].content.begin(), h.committed[0].content.end()), " with SMTP id "));
  }
}

BOOST_AUTO_TEST_CASE(dsn_parameters_reach_the_envelope) {
  SessionHarness h;
  h.start();
  h.send("EHLO c.example\r\n");
  BOOST_TEST(h.send("MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2B314\r\n") == "250 2.1.0 Ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<test@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;test+2Bx@example.com\r\n") ==
             "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<postmaster@example.com> NOTIFY=NEVER,DELAY\r\n") ==
             "501 5.5.4 Invalid value for parameter NOTIFY\r\n");
  BOOST_TEST(h.send("RCPT TO:<postmaster@example.com> FOO=BAR\r\n") == "555 5.5.4 Unsupported parameter FOO\r\n");
  h.send("DATA\r\n");
  h.send("x\r\n.\r\n");
  BOOST_REQUIRE(h.committed.size() == 1u);
  const SessionEnvelope& e = h.committed[0].envelope;
  BOOST_TEST((e.ret == DsnReturn::headers));
  BOOST_TEST(e.envid == "QQ+2B314");
  BOOST_TEST(e.recipients[0].notify == (kNotifySuccess | kNotifyFailure));
  BOOST_TEST(e.recipients[0].orcpt == "rfc822;test+2Bx@example.com");
}

BOOST_AUTO_TEST_CASE(commands_out_of_order_and_odd_commands) {
  SessionHarness h;
  h.start();
  BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "503 5.5.1 Send HELO/EHLO first\r\n");
  BOOST_TEST(h.send("EHLO\r\n") == "501 5.5.4 EHLO requires a domain name\r\n");
  BOOST_TEST(h.send("EHLO bad_name!\r\n") == "501 5.5.4 Invalid domain name\r\n");
  BOOST_TEST(reply_code(h.send("EHLO [192.0.2.9]\r\n")) == 250);
  BOOST_TEST(h.send("DATA\r\n") == "503 5.5.1 Need MAIL before DATA\r\n");
  BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "250 2.1.0 Ok\r\n");
  BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "503 5.5.1 Sender already specified\r\n");
  BOOST_TEST(h.send("DATA\r\n") == "503 5.5.1 No valid recipients\r\n");
  BOOST_TEST(h.send("mail from:<a@b.example>\r\n") == "503 5.5.1 Sender already specified\r\n");  // verbs are case-blind
  BOOST_TEST(h.send("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  BOOST_TEST(h.send("VRFY test\r\n") ==
             "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n");
  BOOST_TEST(h.send("EXPN list\r\n") == "502 5.5.1 EXPN not supported\r\n");
  BOOST_TEST(reply_code(h.send("HELP\r\n")) == 214);
  BOOST_TEST(h.send("WIZ\r\n") == "500 5.5.1 Command unrecognized\r\n");
  BOOST_TEST(h.send("RSET x\r\n") == "501 5.5.4 RSET takes no parameters\r\n");
  BOOST_TEST(h.send("STARTTLS\r\n") == "502 5.5.1 STARTTLS not available\r\n");
  BOOST_TEST(h.send("AUTH PLAIN\r\n") == "503 5.5.1 AUTH not available\r\n");
  BOOST_TEST(!h.session().closed());
}

BOOST_AUTO_TEST_CASE(the_router_decides_each_recipient) {
  SessionHarness h;
  h.start();
  h.send("EHLO c.example\r\n");
  h.send("MAIL FROM:<a@b.example>\r\n");
  BOOST_TEST(h.send("RCPT TO:<someone@other.example.net>\r\n") == "550 5.0.0 Invalid recipient\r\n");
  BOOST_TEST(h.send("RCPT TO:<x@tempfail.example>\r\n") == "451 4.0.0 Temporary failure\r\n");
  BOOST_TEST(h.send("DATA\r\n") == "503 5.5.1 No valid recipients\r\n");
  // Replies the router writes with their own enhanced code keep it.
  h.route = [](const RouteRequest&) {
    RouteDecision d;
    d.reply = "550 5.7.1 Relaying denied";
    return d;
  };
  BOOST_TEST(h.send("RCPT TO:<someone@other.example.net>\r\n") == "550 5.7.1 Relaying denied\r\n");
  BOOST_TEST(h.routed.size() == 3u);
}

BOOST_AUTO_TEST_CASE(open_relay_forms_are_refused_before_routing) {
  struct Case {
    const char* rcpt;
    const char* reply;
  };
  const Case cases[] = {
      {"<@relay.example:user@other.example>", "553 5.1.3 Source routes are not accepted\r\n"},
      {"<@a.example,@b.example:user@example.com>", "553 5.1.3 Source routes are not accepted\r\n"},
      {"<user%other.example@example.com>", "553 5.1.3 user%host addresses are not accepted\r\n"},
      {"<other.example!user@example.com>", "553 5.1.3 Bang paths are not accepted\r\n"},
      {"<user@other.example@example.com>", "553 5.1.3 Addresses with more than one '@' are not accepted\r\n"},
      {"<\"user@other.example\"@example.com>",
       "553 5.1.3 Quoted local parts naming another host are not accepted\r\n"},
      {"<\"user%other.example\"@example.com>",
       "553 5.1.3 Quoted local parts naming another host are not accepted\r\n"},
      {"<\"user\\@other.example\"@example.com>",
       "553 5.1.3 Quoted local parts naming another host are not accepted\r\n"},
      {"user@example.com", "501 5.1.3 Syntax error: the address must be enclosed in <>\r\n"},
      {"<user@example.com", "501 5.1.3 Syntax error: missing '>'\r\n"},
      {"<user>", "501 5.1.3 Syntax error: a domain is required\r\n"},
      {"<user@>", "501 5.1.3 Syntax error in domain\r\n"},
      {"<user@-bad.example>", "501 5.1.3 Syntax error in domain\r\n"},
      {"<user@example.com.>", "501 5.1.3 Syntax error in domain\r\n"},
      {"<.user@example.com>", "501 5.1.3 Syntax error in local part\r\n"},
      {"<us..er@example.com>", "501 5.1.3 Syntax error in local part\r\n"},
      {"<us er@example.com>", "501 5.1.3 Syntax error in local part\r\n"},
      {"<user@[300.1.1.1]>", "501 5.1.3 Syntax error in domain\r\n"},
      {"<>", "501 5.1.3 Syntax error: empty recipient\r\n"},
  };
  SessionHarness h;
  h.options.limits.max_errors = 100;  // this test makes many on purpose
  h.start();
  h.send("EHLO c.example\r\n");
  h.send("MAIL FROM:<a@b.example>\r\n");
  for (const Case& c : cases) BOOST_TEST(h.send(std::string("RCPT TO:") + c.rcpt + "\r\n") == c.reply, c.rcpt);
  BOOST_TEST(h.routed.empty());
  // What stays allowed: quoted local parts without a host in them,
  // address literals, <postmaster> without a domain (RFC 5321 4.5.1).
  BOOST_TEST(h.send("RCPT TO:<\"john doe\"@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<Postmaster>\r\n") == "550 5.0.0 Invalid recipient\r\n");
  BOOST_REQUIRE(h.routed.size() == 2u);
  BOOST_TEST(h.routed[1].rcpt_to == "Postmaster@mx.example.com");
  BOOST_TEST(h.send("RCPT TO:<user@[192.0.2.2]>\r\n") == "550 5.0.0 Invalid recipient\r\n");
  BOOST_TEST(h.send("RCPT TO: <test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");  // a space is tolerated
  // The sender is checked the same way, with 5.1.7.
  h.send("RSET\r\n");
  BOOST_TEST(h.send("MAIL FROM:<@a.example:u@b.example>\r\n") == "553 5.1.3 Source routes are not accepted\r\n");
  BOOST_TEST(h.send("MAIL FROM:<a b@c.example>\r\n") == "501 5.1.7 Syntax error in local part\r\n");
  BOOST_TEST(h.send("MAIL FROM:<j\xc3\xb6rg@c.example>\r\n") ==
             "553 5.6.7 Non-ASCII addresses need SMTPUTF8, which is not offered\r\n");
}

BOOST_AUTO_TEST_CASE(path_limits) {
  SessionHarness h;
  h.start();
  h.send("EHLO c.example\r\n");
  h.send("MAIL FROM:<a@b.example>\r\n");
  std::string local64(64, 'l'), local65(65, 'l');
  BOOST_TEST(h.send("RCPT TO:<" + local64 + "@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<" + local65 + "@example.com>\r\n") ==
             "501 5.1.3 Path too long: local part over 64 octets\r\n");
  // 256 octets with the brackets is the most a path may have.
  std::string label(60, 'd');
  std::string domain = label + "." + label + "." + label + ".example.com";  // 194
  std::string at_limit = std::string(254 - 1 - domain.size(), 'u') + "@" + domain;
  BOOST_REQUIRE(at_limit.size() == 254u);
  BOOST_TEST(h.send("RCPT TO:<" + at_limit + ">\r\n") == "550 5.0.0 Invalid recipient\r\n");
  BOOST_TEST(h.send("RCPT TO:<u" + at_limit + ">\r\n") == "501 5.1.3 Path too long\r\n");
}

BOOST_AUTO_TEST_CASE(too_many_recipients) {
  SessionHarness h;
  h.options.limits.max_recipients = 100;
  h.start();
  h.send("EHLO c.example\r\n");
  h.send("MAIL FROM:<a@b.example>\r\n");
  for (int i = 0; i < 100; ++i)
    BOOST_TEST(h.send("RCPT TO:<u" + std::to_string(i) + "@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<u100@example.com>\r\n") == "452 4.5.3 Too many recipients\r\n");
  h.send("DATA\r\n");
  BOOST_TEST(reply_code(h.send("x\r\n.\r\n")) == 250);
  BOOST_TEST(h.committed.at(0).envelope.recipients.size() == 100u);
}

BOOST_AUTO_TEST_CASE(too_many_messages_in_one_session) {
  SessionHarness h;
  h.options.limits.max_messages = 2;
  h.start();
  for (int i = 0; i < 2; ++i) {
    open_transaction(h);
    h.send("DATA\r\n");
    BOOST_TEST(reply_code(h.send("x\r\n.\r\n")) == 250);
  }
  BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "452 4.5.3 Too many messages for this session\r\n");
}

BOOST_AUTO_TEST_CASE(command_line_limits) {
  SessionHarness h;
  h.start();
  // 512 octets with the CRLF is allowed; one more is not, and the session goes on.
  std::string noop512 = "NOOP " + std::string(512 - 7, 'x') + "\r\n";
  BOOST_REQUIRE(noop512.size() == 512u);
  BOOST_TEST(h.send(noop512) == "250 2.0.0 Ok\r\n");
  BOOST_TEST(h.send("NOOP " + std::string(512 - 6, 'x') + "\r\n") == "500 5.5.2 Line too long\r\n");
  // A line longer than any command may be is read to its end in pieces and thrown away.
  BOOST_TEST(h.send("NOOP " + std::string(20000, 'x')) == "");
  BOOST_TEST(h.send(std::string(20000, 'x') + "\r\n") == "500 5.5.2 Line too long\r\n");
  BOOST_TEST(!h.session().closed());
  BOOST_TEST(h.send("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  // 65535 octets without an end: 500 and the session closes (OpenSMTPD's bound).
  BOOST_TEST(h.send(std::string(40000, 'x')) == "");
  BOOST_TEST(h.send(std::string(30000, 'x')) == "500 5.5.2 Line too long\r\n");
  BOOST_TEST(h.session().closed());
}

BOOST_AUTO_TEST_CASE(bare_lf_and_cr_in_commands) {
  SessionHarness h;
  h.start();
  const char kRefused[] = "500 5.5.2 Command lines must end with CRLF, without bare CR, LF or NUL\r\n";
  BOOST_TEST(h.send("EHLO c.example\n") == kRefused);
  BOOST_TEST(h.send("EHLO c.example\rX\r\n") == kRefused);
  BOOST_TEST(h.send(std::string("NOOP \0\r\n", 8)) == kRefused);
  BOOST_TEST(reply_code(h.send("EHLO c.example\r\n")) == 250);
}

BOOST_AUTO_TEST_CASE(text_line_and_message_size_limits) {
  SessionHarness h;
  h.options.limits.max_message_size = 5000;
  h.start();
  open_transaction(h);
  h.send("DATA\r\n");
  // 1000 octets with the CRLF pass; 1001 refuse the message at the end.
  BOOST_TEST(reply_code(h.send(std::string(998, 'a') + "\r\n.\r\n")) == 250);
  open_transaction(h);
  h.send("DATA\r\n");
  BOOST_TEST(h.send(std::string(999, 'a') + "\r\n.\r\n") ==
             "500 5.6.0 Line too long: the message has a line over 1000 octets\r\n");
  // SIZE over the limit is refused at MAIL (RFC 1870) ...
  BOOST_TEST(h.send("MAIL FROM:<a@b.example> SIZE=5001\r\n") ==
             "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  // ... and a message that turns out bigger at the end of data.
  open_transaction(h);
  h.send("DATA\r\n");
  std::string line(98, 'b');
  line += "\r\n";
  for (int i = 0; i < 49; ++i) BOOST_TEST(h.send(line) == "");
  BOOST_TEST(h.send(line + line + ".\r\n") == "552 5.3.4 Message too big\r\n");
  BOOST_TEST(h.committed.size() == 1u);
  // The transaction is over, the session is not.
  BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "503 5.5.1 Need MAIL before RCPT\r\n");
  // A line of 65535 octets in DATA closes the session.
  open_transaction(h);
  h.send("DATA\r\n");
  BOOST_TEST(h.send(std::string(70000, 'c')) == "500 5.5.2 Line too long\r\n");
  BOOST_TEST(h.session().closed());
}

BOOST_AUTO_TEST_CASE(dot_unstuffing_byte_for_byte) {
  SessionHarness h;
  h.start();
  open_transaction(h);
  h.send("DATA\r\n");
  // What the client sends after stuffing (RFC 5321 4.5.2), and what the
  // message must be.
  std::string sent =
      "Subject: dots\r\n"
      "\r\n"
      "..\r\n"
      "...\r\n"
      "..leading dot\r\n"
      ". space after the dot\r\n"
      "middle . dot\r\n"
      ".\tx\r\n"
      "..\r\n"
      "end.\r\n"
      "\r\n"
      ".\r\n";
  std::string expected =
      "Subject: dots\r\n"
      "\r\n"
      ".\r\n"
      "..\r\n"
      ".leading dot\r\n"
      " space after the dot\r\n"
      "middle . dot\r\n"
      "\tx\r\n"
      ".\r\n"
      "end.\r\n"
      "\r\n";
  BOOST_TEST(reply_code(h.send(sent)) == 250);
  BOOST_REQUIRE(h.committed.size() == 1u);
  BOOST_TEST(body_of(h.committed[0]) == expected);
  // The same message fed one byte at a time comes out the same.
  open_transaction(h);
  h.send("DATA\r\n");
  std::string out;
  for (char c : sent) out += h.send(std::string(1, c));
  BOOST_TEST(reply_code(out) == 250);
  BOOST_REQUIRE(h.committed.size() == 2u);
  BOOST_TEST(body_of(h.committed[1]) == expected);
  // An empty message: the DATA command's CRLF counts as the line before ".".
  open_transaction(h);
  h.send("DATA\r\n");
  BOOST_TEST(reply_code(h.send(".\r\n")) == 250);
  BOOST_TEST(body_of(h.committed.at(2)).empty());
}

// The end-of-data variants of the SMTP smuggling research (SEC Consult
// 2023) and the CVEs it led to: each is followed by a second transaction,
// then the real end of data, in one write, as a smuggler sends them. None may
// end the message: the smuggled transaction must never run. By policy
// (data_reader.h) every variant here puts a bare CR, bare LF or NUL in the
// message, which is then refused whole with 550 5.6.0.
BOOST_AUTO_TEST_CASE(smtp_smuggling_end_of_data_variants) {
  const std::vector<std::string> variants = {
      "\n.\n",     "\n.\r\n",    "\r\n.\n",    "\r.\r",      "\r.\r\n",        "\r\n.\r",
      "\n.\r",     "\r.\n",      "\r\n.\r\r\n", "\r\n\n.\r\n", std::string("\r\n\0.\r\n", 6),
      std::string("\r\n.\0\r\n", 6),
  };
  const std::string smuggled =
      "MAIL FROM:<ceo@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n"
      "From: ceo@example.com\r\nSubject: smuggled\r\n\r\npay now\r\n";
  for (const std::string& v : variants) {
    for (bool split : {false, true}) {
      SessionHarness h;
      h.start();
      open_transaction(h);
      BOOST_TEST(reply_code(h.send("DATA\r\n")) == 354);
      std::string first = "Subject: innocent\r\n\r\nhello" + v;
      std::string second = smuggled + ".\r\n";
      std::string out;
      if (split) {
        out = h.send(first);
        out += h.send(second);
      } else {
        out = h.send(first + second);
      }
      BOOST_TEST((out == "550 5.6.0 Message refused: bare CR or LF (lines must end with CRLF)\r\n" ||
                  out == "550 5.6.0 Message refused: NUL octet in message\r\n"),
                 "variant " << to_hex(ByteView(v)) << (split ? " split" : "") << ": " << out);
      BOOST_TEST(h.committed.empty());
      BOOST_TEST(h.routed.size() == 1u);  // victim@ was never a recipient
      BOOST_TEST(!h.session().closed());
      BOOST_TEST((h.session().state() == ServerSession::State::command));
    }
  }
}

// The same smuggled transaction behind a real end of data, in one write: the
// message is dropped with the bytes after it and the session closes
// (OpenSMTPD's defence), so again nothing of it runs.
BOOST_AUTO_TEST_CASE(smuggling_behind_a_real_end_of_data_and_pipelining) {
  {
    SessionHarness h;
    h.start();
    open_transaction(h);
    h.send("DATA\r\n");
    BOOST_TEST(h.send("hello\r\n.\r\nMAIL FROM:<ceo@example.com>\r\nRCPT TO:<victim@example.com>\r\n") ==
               "500 5.5.1 Pipelining not supported\r\n");
    BOOST_TEST(h.session().closed());
    BOOST_TEST(h.committed.empty());
    BOOST_TEST(h.routed.size() == 1u);
  }
  {
    // Pipelined after EHLO.
    SessionHarness h;
    h.start();
    BOOST_TEST(h.send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n") == "500 5.5.1 Pipelining not supported\r\n");
    BOOST_TEST(h.session().closed());
  }
  {
    // Pipelined after DATA: no 354, nothing read as message text.
    SessionHarness h;
    h.start();
    open_transaction(h);
    BOOST_TEST(h.send("DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n") == "500 5.5.1 Pipelining not supported\r\n");
    BOOST_TEST(h.session().closed());
    BOOST_TEST(h.committed.empty());
  }
  {
    // Sent while the queue commits: the client did not wait for the reply.
    SessionHarness h;
    h.auto_commit = false;
    h.start();
    open_transaction(h);
    h.send("DATA\r\n");
    BOOST_TEST(h.send("body\r\n.\r\n") == "");
    BOOST_TEST(h.session().next_deadline() == Time::never());
    BOOST_TEST(h.send("QUIT\r\n") == "");
    BOOST_REQUIRE(h.waiting.has_value());
    h.session().complete_message(h.waiting->envelope.id, h.now());
    std::string out = h.send("");
    BOOST_TEST(out == "250 2.0.0 1a2b3c4d Message accepted for delivery\r\n500 5.5.1 Pipelining not supported\r\n");
    BOOST_TEST(h.session().closed());
  }
  {
    // A failed commit: 451, and the session goes on.
    SessionHarness h;
    h.auto_commit = false;
    h.start();
    open_transaction(h);
    h.send("DATA\r\n");
    h.send("body\r\n.\r\n");
    BOOST_REQUIRE(h.waiting.has_value());
    h.session().fail_message("Queue write failed\r\nEVIL", h.now());
    BOOST_TEST(h.send("") == "451 4.3.0 Queue write failed  EVIL\r\n");
    BOOST_TEST(h.send("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  }
}

BOOST_AUTO_TEST_CASE(idle_timeouts) {
  {
    SessionHarness h;
    h.start();
    BOOST_TEST(h.session().next_deadline() == h.now() + Duration::minutes(5));
    BOOST_TEST(h.advance(Duration::minutes(4)) == "");
    // A partial command does not restart the clock: trickling cannot hold the session.
    BOOST_TEST(h.send("NO") == "");
    BOOST_TEST(h.advance(Duration::minutes(1) - Duration::nanoseconds(1)) == "");
    BOOST_TEST(h.advance(Duration::nanoseconds(1)) == "421 4.4.2 mx.example.com Timeout, closing connection\r\n");
    BOOST_TEST(h.session().closed());
    BOOST_TEST(h.session().next_deadline() == Time::never());
  }
  {
    // A complete command does restart it.
    SessionHarness h;
    h.start();
    h.advance(Duration::minutes(4));
    h.send("NOOP\r\n");
    BOOST_TEST(h.advance(Duration::minutes(4)) == "");
    BOOST_TEST(reply_code(h.advance(Duration::minutes(1))) == 421);
  }
  {
    // DATA: 10 minutes of silence.
    SessionHarness h;
    h.start();
    open_transaction(h);
    h.send("DATA\r\n");
    h.send("Subject: slow\r\n");
    BOOST_TEST(h.session().next_deadline() == h.now() + Duration::minutes(10));
    BOOST_TEST(h.advance(Duration::minutes(10) - Duration::seconds(1)) == "");
    BOOST_TEST(h.advance(Duration::seconds(1)) == "421 4.4.2 mx.example.com Timeout, closing connection\r\n");
    BOOST_TEST(h.session().close_reason() == "timeout in DATA");
    BOOST_TEST(h.committed.empty());
  }
}

BOOST_AUTO_TEST_CASE(slowloris_in_data_meets_the_total_timeout) {
  SessionHarness h;
  h.options.timeouts.data_total = Duration::minutes(30);
  h.options.timeouts.min_data_rate = 0;  // the total alone (the rate: server_session_data_rate_test.cc)
  h.start();
  open_transaction(h);
  h.send("DATA\r\n");
  Time data_start = h.now();
  // One byte every 10 s keeps the idle timer happy, but not the total one.
  int bytes = 0;
  while (!h.session().closed() && bytes < 1000) {
    BOOST_TEST(h.session().next_deadline() <= data_start + Duration::minutes(30));
    std::string out = h.send("x");
    BOOST_TEST(out == "");
    ++bytes;
    out = h.advance(Duration::seconds(10));
    if (h.session().closed()) {
      BOOST_TEST(out == "421 4.4.2 mx.example.com Timeout, closing connection\r\n");
    }
  }
  BOOST_TEST(h.session().closed());
  BOOST_TEST(h.now() == data_start + Duration::minutes(30));
  BOOST_TEST(bytes == 180);
  BOOST_TEST(h.committed.empty());
}

BOOST_AUTO_TEST_CASE(loop_detection_by_hop_count) {
  auto message_with_hops = [](int hops) {
    std::string m;
    for (int i = 0; i < hops; ++i) m += "Received: from hop" + std::to_string(i) + ".example by x; date\r\n";
    m += "Subject: loop\r\n\r\n";
    // Received: lines in the body are not trace fields.
    for (int i = 0; i < 5; ++i) m += "Received: quoted in the body\r\n";
    return m + ".\r\n";
  };
  SessionHarness h;
  h.options.limits.max_received_headers = 100;
  h.start();
  open_transaction(h);
  h.send("DATA\r\n");
  BOOST_TEST(reply_code(h.send(message_with_hops(100))) == 250);
  open_transaction(h);
  h.send("DATA\r\n");
  BOOST_TEST(h.send(message_with_hops(101)) ==
             "554 5.4.6 Too many hops (101 Received: headers): loop detected\r\n");
  BOOST_TEST(h.committed.size() == 1u);
  // The field name is case-blind and may have spaces before its colon.
  open_transaction(h);
  h.send("DATA\r\n");
  std::string m;
  for (int i = 0; i < 101; ++i) m += (i % 2 ? "RECEIVED :" : "received: ") + std::string("x\r\n");
  BOOST_TEST(reply_code(h.send(m + "\r\n.\r\n")) == 554);
}

BOOST_AUTO_TEST_CASE(received_header_with_mask_src) {
  SessionHarness h;
  h.options.listener.mask_src = true;
  h.start();
  open_transaction(h);
  h.send("DATA\r\n");
  h.send("x\r\n.\r\n");
  BOOST_REQUIRE(h.committed.size() == 1u);
  std::string content(h.committed[0].content.begin(), h.committed[0].content.end());
  BOOST_TEST(content ==
             "Received: by mx.example.com (tether) with ESMTP id 1a2b3c4d\r\n"
             "\tfor <test@example.com>;\r\n"
             "\tWed, 18 Nov 2026 11:06:40 +0000\r\n"
             "x\r\n");
  BOOST_TEST(!contains(content, "198.51.100.7"));
  BOOST_TEST(!contains(content, "client.example.net"));
}

BOOST_AUTO_TEST_CASE(received_header_for_ipv6_and_unknown_rdns) {
  SessionHarness h;
  h.options.remote = *Endpoint::parse("[2001:db8::7]:5000");
  h.options.rdns = "";
  h.start();
  open_transaction(h);
  h.send("DATA\r\n");
  h.send("x\r\n.\r\n");
  std::string content(h.committed.at(0).content.begin(), h.committed.at(0).content.end());
  BOOST_TEST(starts_with(content, "Received: from client.example.net (unknown [IPv6:2001:db8::7])\r\n"
                                  "\tby mx.example.com (tether) with ESMTP id 1a2b3c4d\r\n"),
             content);
}

BOOST_AUTO_TEST_CASE(a_reverse_name_that_is_not_a_host_name_is_ignored) {
  SessionHarness h;
  h.options.rdns = "evil.example\r\nX-Injected: yes";
  h.start();
  open_transaction(h);
  h.send("DATA\r\n");
  h.send("x\r\n.\r\n");
  std::string content(h.committed.at(0).content.begin(), h.committed.at(0).content.end());
  BOOST_TEST(starts_with(content, "Received: from client.example.net (unknown [198.51.100.7])\r\n"), content);
  BOOST_TEST(!contains(content, "X-Injected"));
  BOOST_TEST(h.routed.at(0).rdns == "");
}

BOOST_AUTO_TEST_CASE(too_many_errors_close_the_session) {
  SessionHarness h;
  h.options.limits.max_errors = 20;
  h.start();
  for (int i = 0; i < 20; ++i) BOOST_TEST(h.send("BOGUS\r\n") == "500 5.5.1 Command unrecognized\r\n");
  BOOST_TEST(h.send("BOGUS\r\n") ==
             "500 5.5.1 Command unrecognized\r\n421 4.7.0 mx.example.com Too many errors, closing connection\r\n");
  BOOST_TEST(h.session().closed());
}

BOOST_AUTO_TEST_CASE(too_many_junk_commands_close_the_session) {
  SessionHarness h;
  h.options.limits.max_junk_commands = 5;
  h.start();
  for (int i = 0; i < 5; ++i) BOOST_TEST(h.send("NOOP\r\n") == "250 2.0.0 Ok\r\n");
  BOOST_TEST(h.send("NOOP\r\n") == "421 4.7.0 mx.example.com Too many commands, closing connection\r\n");
  BOOST_TEST(h.session().closed());
  BOOST_TEST(h.send("NOOP\r\n") == "");  // closed: input is ignored
}

// mx2's listener runs the seed's filter chain "incoming": no_dyndns,
// no_rdns, no_fcrdns, all at connect.
BOOST_AUTO_TEST_CASE(connect_filters_of_the_mx2_seed) {
  auto config = seed_mx2_config();
  const Listener incoming = seed_mx2_incoming_listener(*config);
  struct Case {
    const char* rdns;
    bool fcrdns;
    const char* greeting;
  };
  const Case cases[] = {
      {"mail.example.net", true, "220 mx.example.com ESMTP tether\r\n"},
      {"host-1.dyn.isp.example", true, "550 no residential connections\r\n"},
      {"a.dsl.isp.example", true, "550 no residential connections\r\n"},
      {"", false, "550 mailserver failed rDNS check\r\n"},
      {"mail.example.net", false, "550 mailserver failed FCrDNS check\r\n"},
  };
  for (const Case& c : cases) {
    SessionHarness h;
    h.options.config = config;
    h.options.listener = incoming;
    h.options.tls = test_server_tls();
    h.options.rdns = c.rdns;
    h.options.fcrdns = c.fcrdns;
    BOOST_TEST(h.start() == c.greeting, c.rdns);
    BOOST_TEST(h.session().closed() == (c.greeting[0] == '5'), c.rdns);
  }
}

BOOST_AUTO_TEST_CASE(connect_reject_leaves_only_quit) {
  auto config = config_from_text(
      "table blocked { 198.51.100.0/24 }\n"
      "filter block phase connect match src <blocked> reject \"554 5.7.1 go away\"\n"
      "filter tag_junk phase connect match rdns regex { '^client\\.' } junk\n"
      "filter chain1 chain { block }\n"
      "listen on lo0 filter chain1\n"
      "listen on lo1 filter tag_junk\n"
      "action a mbox\n"
      "match from any for any action a\n");
  {
    SessionHarness h;
    h.options.config = config;
    h.options.listener = config->listeners.at(0);
    BOOST_TEST(h.start() == "554 5.7.1 go away\r\n");
    BOOST_TEST(!h.session().closed());
    BOOST_TEST(h.send("EHLO c.example\r\n") == "503 5.5.1 Connection refused; only QUIT is accepted\r\n");
    BOOST_TEST(h.send("QUIT\r\n") == "221 2.0.0 mx.example.com Bye\r\n");
    BOOST_TEST(h.session().closed());
  }
  {
    // Another source passes the chain.
    SessionHarness h;
    h.options.config = config;
    h.options.listener = config->listeners.at(0);
    h.options.remote = *Endpoint::parse("203.0.113.9:1000");
    BOOST_TEST(h.start() == "220 mx.example.com ESMTP tether\r\n");
  }
  {
    // junk marks the message.
    SessionHarness h;
    h.options.config = config;
    h.options.listener = config->listeners.at(1);
    BOOST_TEST(h.start() == "220 mx.example.com ESMTP tether\r\n");
    open_transaction(h);
    h.send("DATA\r\n");
    h.send("x\r\n.\r\n");
    std::string content(h.committed.at(0).content.begin(), h.committed.at(0).content.end());
    BOOST_TEST(starts_with(content, "X-Spam: Yes\r\nReceived: "));
  }
}

// With the reverse name still being looked up, the greeting goes out at
// once; MAIL waits for the name, and the connect filters judge it then.
BOOST_AUTO_TEST_CASE(greeting_does_not_wait_for_the_reverse_name) {
  auto config = seed_mx2_config();
  const Listener incoming = seed_mx2_incoming_listener(*config);
  auto make = [&](SessionHarness& h) {
    h.options.config = config;
    h.options.listener = incoming;
    h.options.rdns = "ignored.example.net";  // pending: only set_client_rdns counts
    h.options.rdns_pending = true;
    BOOST_TEST(h.start() == "220 mx.example.com ESMTP tether\r\n");
    BOOST_TEST(reply_code(h.send("EHLO client.example.net\r\n")) == 250);
  };
  {
    // A good name: the MAIL that waited is answered, and the name is in Received:.
    SessionHarness h;
    make(h);
    BOOST_TEST(h.send("MAIL FROM:<alice@other.example.net>\r\n") == "");
    BOOST_TEST((h.session().state() == ServerSession::State::awaiting_rdns));
    BOOST_TEST(h.session().next_deadline().is_never());
    BOOST_TEST(h.resolve_rdns("mail.example.net.", true) == "250 2.1.0 Ok\r\n");
    BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
    h.send("DATA\r\n");
    h.send("x\r\n.\r\n");
    BOOST_REQUIRE(h.committed.size() == 1u);
    std::string content(h.committed[0].content.begin(), h.committed[0].content.end());
    BOOST_TEST(contains(content, "from client.example.net (mail.example.net ["));
    BOOST_TEST(h.committed[0].envelope.rdns == "mail.example.net");
    BOOST_TEST(h.resolve_rdns("other.example.net", true) == "");  // only the first answer counts
  }
  {
    // No name, found while MAIL waits: the filter's reply answers MAIL.
    SessionHarness h;
    make(h);
    BOOST_TEST(h.send("MAIL FROM:<alice@other.example.net>\r\n") == "");
    BOOST_TEST(h.resolve_rdns("", false) == "550 mailserver failed rDNS check\r\n");
    BOOST_TEST(h.session().closed());
  }
  {
    // Found while the client is idle: its next MAIL gets the refusal.
    SessionHarness h;
    make(h);
    BOOST_TEST(h.resolve_rdns("mail.example.net", false) == "");
    BOOST_TEST(!h.session().closed());
    BOOST_TEST(h.send("NOOP\r\n") == "250 2.0.0 Ok\r\n");
    BOOST_TEST(h.send("MAIL FROM:<alice@other.example.net>\r\n") == "550 mailserver failed FCrDNS check\r\n");
    BOOST_TEST(h.session().closed());
  }
  {
    // ... but QUIT is still a polite goodbye.
    SessionHarness h;
    make(h);
    BOOST_TEST(h.resolve_rdns("host-1.dyn.isp.example", true) == "");
    BOOST_TEST(h.send("QUIT\r\n") == "221 2.0.0 mx.example.com Bye\r\n");
  }
  {
    // A client that does not wait for the MAIL reply is pipelining.
    SessionHarness h;
    make(h);
    BOOST_TEST(h.send("MAIL FROM:<alice@other.example.net>\r\n") == "");
    BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "");
    BOOST_TEST(h.resolve_rdns("mail.example.net", true) ==
               "250 2.1.0 Ok\r\n500 5.5.1 Pipelining not supported\r\n");
    BOOST_TEST(h.session().closed());
  }
}

BOOST_AUTO_TEST_CASE(connect_reject_found_late_leaves_only_quit) {
  auto config = config_from_text(
      "filter block phase connect match !rdns reject \"554 5.7.1 go away\"\n"
      "listen on lo0 filter block\n"
      "action a mbox\n"
      "match from any for any action a\n");
  SessionHarness h;
  h.options.config = config;
  h.options.listener = config->listeners.at(0);
  h.options.rdns_pending = true;
  BOOST_TEST(h.start() == "220 mx.example.com ESMTP tether\r\n");
  BOOST_TEST(reply_code(h.send("EHLO c.example\r\n")) == 250);
  BOOST_TEST(h.send("MAIL FROM:<a@c.example>\r\n") == "");
  BOOST_TEST(h.resolve_rdns("", false) == "554 5.7.1 go away\r\n");
  BOOST_TEST(!h.session().closed());
  BOOST_TEST(h.send("MAIL FROM:<a@c.example>\r\n") == "503 5.5.1 Connection refused; only QUIT is accepted\r\n");
  BOOST_TEST(h.send("QUIT\r\n") == "221 2.0.0 mx.example.com Bye\r\n");
}

BOOST_AUTO_TEST_CASE(with_the_real_router_of_the_namorar_seed) {
  Router router = seed_router("namorar");
  ConfigParseResult parsed = parse_seed("namorar");
  BOOST_REQUIRE(parsed.ok());
  SessionHarness h;
  h.options.listener = parsed.config.listeners.at(1);  // 192.0.2.2, no-dsn
  h.options.local = *Endpoint::parse("192.0.2.2:25");
  h.options.hostname = h.options.listener.hostname;
  h.route = [&router](const RouteRequest& r) { return router.route(r); };
  BOOST_TEST(h.start() == "220 mx2.example.com ESMTP tether\r\n");
  BOOST_TEST(!contains(h.send("EHLO c.example\r\n"), "DSN"));
  h.send("MAIL FROM:<alice@other.example.net>\r\n");
  BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<nobody@example.com>\r\n") == "550 5.0.0 Invalid recipient\r\n");
  BOOST_TEST(h.send("RCPT TO:<someone@other.example.net>\r\n") == "550 5.0.0 Invalid recipient\r\n");
  h.send("DATA\r\n");
  BOOST_TEST(reply_code(h.send("x\r\n.\r\n")) == 250);
  BOOST_TEST(h.committed.at(0).envelope.recipients.at(0).action == "relay_in");
}

BOOST_AUTO_TEST_SUITE_END()
