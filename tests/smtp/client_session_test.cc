// The delivery client against scripted servers: plain byte streams written
// by hand, and for STARTTLS/smtps a real in-memory TLS server (impl/crypto)
// with a certificate made for the test.

#include "smtp/client_session.h"

#include <boost/test/unit_test.hpp>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/self_signed_certificate.h"
#include "crypto/tls.h"

namespace tether::smtp {
std::ostream& operator<<(std::ostream& os, DeliveryStatus status) { return os << to_string(status); }
}  // namespace tether::smtp

using namespace tether;
using namespace tether::smtp;

namespace {

const Time t0 = Time::from_ns(1'000'000'000'000);

std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }
Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

ClientSessionOptions plain_options() {
  ClientSessionOptions o;
  o.helo = "relay.example.org";
  o.tls = ClientTls::none;
  return o;
}

ClientTransaction transaction(std::vector<std::string> rcpts, std::string message = "Subject: hi\r\n\r\nhello\r\n") {
  ClientTransaction t;
  t.mail_from = "jay@example.org";
  for (std::string& r : rcpts) t.recipients.push_back({std::move(r), {}, {}});
  t.message = bytes(message);
  return t;
}

ClientSession make(ClientSessionOptions o, ClientTransaction t, Time now = t0) {
  Result<ClientSession> s = ClientSession::create(std::move(o), std::move(t), now);
  BOOST_REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().to_string()));
  return std::move(s).value();
}

// Everything the client has to say now (message data comes block by block).
std::string drain(ClientSession& s, Time now) {
  std::string out;
  while (s.has_output()) out += text(s.take_output(now));
  return out;
}

// The server says something; returns the client's answer.
std::string say(ClientSession& s, std::string_view server, Time now = t0) {
  s.receive(ByteView(server), now);
  return drain(s, now);
}

// Greeting and EHLO with no extensions of interest.
void open_plain(ClientSession& s, Time now = t0) {
  BOOST_TEST(say(s, "220 mx.example.net ESMTP\r\n", now) == "EHLO relay.example.org\r\n");
}

// ---- TLS peers ----

const crypto::CertificateAndKey& server_certificate() {
  static const crypto::CertificateAndKey cert = [] {
    crypto::SelfSignedCertificateOptions options;
    options.common_name = "mx.example.net";
    options.alt_names = {"mx.example.net"};
    auto made = crypto::make_self_signed_certificate(options);
    if (!made) throw std::runtime_error(made.error().to_string());
    return std::move(made).value();
  }();
  return cert;
}

const crypto::CertificateAndKey& other_certificate() {
  static const crypto::CertificateAndKey cert = [] {
    auto made = crypto::make_self_signed_certificate("mx.example.net");
    if (!made) throw std::runtime_error(made.error().to_string());
    return std::move(made).value();
  }();
  return cert;
}

std::shared_ptr<const crypto::TlsContext> client_context(bool verify, const crypto::CertificateAndKey* trust) {
  auto ctx = crypto::TlsContext::create(crypto::TlsRole::client);
  BOOST_REQUIRE(ctx.ok());
  if (trust) BOOST_REQUIRE(ctx->trust_ca_pem(trust->certificate_pem).ok());
  ctx->set_verify_peer(verify);
  return std::make_shared<const crypto::TlsContext>(std::move(ctx).value());
}

// The server's end of a TLS connection, pumping bytes with the client until
// neither side has anything to say.
class TlsServer {
 public:
  explicit TlsServer(ClientSession& client) : client_(client) {
    auto ctx = crypto::TlsContext::create(crypto::TlsRole::server);
    BOOST_REQUIRE(ctx.ok());
    const auto& cert = server_certificate();
    BOOST_REQUIRE(ctx->use_certificate_pem(cert.certificate_pem, cert.private_key_pem).ok());
    context_.emplace(std::move(ctx).value());
    auto tls = crypto::TlsSession::create(*context_);
    BOOST_REQUIRE(tls.ok());
    tls_.emplace(std::move(tls).value());
  }

  void pump(Time now = t0) {
    for (int round = 0; round < 100; ++round) {
      bool moved = false;
      Bytes from_client = client_.take_output(now);
      if (!from_client.empty()) {
        moved = true;
        (void)tls_->feed_ciphertext(from_client);  // a failure shows in the client's state
      }
      Bytes from_server = tls_->take_ciphertext();
      if (!from_server.empty()) {
        moved = true;
        client_.receive(from_server, now);
      }
      if (!moved) return;
    }
    BOOST_FAIL("TLS pump does not settle");
  }

  // What the client said (decrypted) once the pump settles.
  std::string hear(Time now = t0) {
    pump(now);
    return text(tls_->read_plaintext());
  }

  // The server says `line` inside TLS; returns the client's answer.
  std::string say(std::string_view line, Time now = t0) {
    BOOST_REQUIRE(tls_->write_plaintext(ByteView(line)).ok());
    return hear(now);
  }

  crypto::TlsSession& tls() { return *tls_; }

 private:
  ClientSession& client_;
  std::optional<crypto::TlsContext> context_;
  std::optional<crypto::TlsSession> tls_;
};

ClientSessionOptions tls_options(ClientTls mode, std::shared_ptr<const crypto::TlsContext> ctx) {
  ClientSessionOptions o = plain_options();
  o.tls = mode;
  o.tls_context = std::move(ctx);
  o.server_name = "mx.example.net";
  return o;
}

// Plain greeting and EHLO offering STARTTLS; the client asks for it; the
// server agrees and the handshake runs.
void start_tls(ClientSession& s, TlsServer& server) {
  open_plain(s);
  BOOST_TEST(say(s, "250-mx.example.net\r\n250-PIPELINING\r\n250 STARTTLS\r\n") == "STARTTLS\r\n");
  s.receive(ByteView(std::string_view("220 2.0.0 Ready to start TLS\r\n")), t0);
  server.pump();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(client_session)

BOOST_AUTO_TEST_CASE(plain_delivery_end_to_end) {
  ClientSession s = make(plain_options(), transaction({"friend@example.net"}));
  BOOST_TEST(!s.has_output());  // the server speaks first
  BOOST_TEST(s.next_deadline() == t0 + Duration::minutes(5));
  open_plain(s);
  BOOST_TEST(say(s, "250-mx.example.net hello\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n") ==
             "MAIL FROM:<jay@example.org> SIZE=22\r\n");
  BOOST_TEST(say(s, "250 2.1.0 Ok\r\n") == "RCPT TO:<friend@example.net>\r\n");
  BOOST_TEST(say(s, "250 2.1.5 Ok\r\n") == "DATA\r\n");
  BOOST_TEST(say(s, "354 End data with <CR><LF>.<CR><LF>\r\n") == "Subject: hi\r\n\r\nhello\r\n.\r\n");
  BOOST_TEST(!s.finished());
  BOOST_TEST(say(s, "250 2.0.0 Ok: queued as 4F2\r\n") == "QUIT\r\n");
  BOOST_TEST(s.finished());
  BOOST_TEST(!s.done());
  BOOST_REQUIRE(s.results().size() == 1u);
  BOOST_TEST(s.results()[0].status == DeliveryStatus::delivered);
  BOOST_TEST(s.results()[0].reply == "250 2.0.0 Ok: queued as 4F2");
  BOOST_TEST(say(s, "221 2.0.0 Bye\r\n") == "");
  BOOST_TEST(s.done());
  BOOST_TEST(s.error() == "");
  BOOST_TEST(s.server_greeting() == "mx.example.net ESMTP");
}

BOOST_AUTO_TEST_CASE(multi_line_ehlo_byte_by_byte_and_dsn_parameters) {
  ClientTransaction t = transaction({"a@example.net"}, "Subject: caf\xc3\xa9\r\n\r\n\xc3\xa9t\xc3\xa9\r\n");
  t.recipients[0].dsn_notify = "SUCCESS,FAILURE";
  t.recipients[0].dsn_orcpt = "rfc822;a@example.net";
  t.dsn_ret = "HDRS";
  t.dsn_envid = "QQ314159";
  ClientSession s = make(plain_options(), std::move(t));
  open_plain(s);
  std::string ehlo =
      "250-mx.example.net at your service\r\n"
      "250-PIPELINING\r\n"
      "250-SIZE 35882577\r\n"
      "250-AUTH LOGIN PLAIN XOAUTH2\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-8bitmime\r\n"
      "250-DSN\r\n"
      "250 STARTTLS\r\n";
  // One byte at a time: nothing happens until the last line is complete.
  for (std::size_t i = 0; i + 1 < ehlo.size(); ++i) BOOST_TEST(say(s, ehlo.substr(i, 1)) == "");
  std::string mail = say(s, ehlo.substr(ehlo.size() - 1));
  const ServerExtensions& x = s.extensions();
  BOOST_TEST(x.esmtp);
  BOOST_TEST(x.pipelining);
  BOOST_TEST(x.size);
  BOOST_TEST(x.size_limit == 35882577u);
  BOOST_TEST(x.auth);
  BOOST_TEST(x.auth_login);
  BOOST_TEST(x.auth_plain);
  BOOST_TEST(x.enhanced_status_codes);
  BOOST_TEST(x.eight_bit_mime);
  BOOST_TEST(x.dsn);
  BOOST_TEST(x.starttls);  // offered; this session's policy is none
  BOOST_TEST(mail == "MAIL FROM:<jay@example.org> SIZE=25 BODY=8BITMIME RET=HDRS ENVID=QQ314159\r\n");
  BOOST_TEST(say(s, "250 ok\r\n") == "RCPT TO:<a@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@example.net\r\n");
}

BOOST_AUTO_TEST_CASE(ehlo_refused_falls_back_to_helo) {
  ClientSession s = make(plain_options(), transaction({"a@example.net"}));
  open_plain(s);
  BOOST_TEST(say(s, "502 5.5.2 Error: command not recognized\r\n") == "HELO relay.example.org\r\n");
  BOOST_TEST(say(s, "250 mx.example.net\r\n") == "MAIL FROM:<jay@example.org>\r\n");
  BOOST_TEST(!s.extensions().esmtp);
}

BOOST_AUTO_TEST_CASE(per_recipient_results) {
  ClientSession s = make(plain_options(), transaction({"ok@example.net", "gone@example.net", "busy@example.net"}));
  open_plain(s);
  BOOST_TEST(say(s, "250 mx.example.net\r\n") == "MAIL FROM:<jay@example.org>\r\n");
  BOOST_TEST(say(s, "250 2.1.0 Ok\r\n") == "RCPT TO:<ok@example.net>\r\n");
  BOOST_TEST(say(s, "250 2.1.5 Ok\r\n") == "RCPT TO:<gone@example.net>\r\n");
  BOOST_TEST(say(s, "550 5.1.1 <gone@example.net>: Recipient address rejected\r\n") == "RCPT TO:<busy@example.net>\r\n");
  BOOST_TEST(say(s, "451 4.3.0 <busy@example.net>: Temporary lookup failure\r\n") == "DATA\r\n");
  BOOST_TEST(say(s, "354 go\r\n") == "Subject: hi\r\n\r\nhello\r\n.\r\n");
  BOOST_TEST(say(s, "250 2.0.0 Ok: queued\r\n") == "QUIT\r\n");
  const auto& r = s.results();
  BOOST_REQUIRE(r.size() == 3u);
  BOOST_TEST(r[0].status == DeliveryStatus::delivered);
  BOOST_TEST(r[1].status == DeliveryStatus::permanent);
  BOOST_TEST(r[1].reply == "550 5.1.1 <gone@example.net>: Recipient address rejected");
  BOOST_TEST(r[2].status == DeliveryStatus::temporary);
  BOOST_TEST(r[2].reply == "451 4.3.0 <busy@example.net>: Temporary lookup failure");
}

BOOST_AUTO_TEST_CASE(no_recipient_accepted_means_no_data) {
  ClientSession s = make(plain_options(), transaction({"a@example.net", "b@example.net"}));
  open_plain(s);
  say(s, "250 mx\r\n");
  BOOST_TEST(say(s, "250 ok\r\n") == "RCPT TO:<a@example.net>\r\n");
  BOOST_TEST(say(s, "550 no\r\n") == "RCPT TO:<b@example.net>\r\n");
  BOOST_TEST(say(s, "450 later\r\n") == "QUIT\r\n");
  BOOST_TEST(s.results()[0].status == DeliveryStatus::permanent);
  BOOST_TEST(s.results()[1].status == DeliveryStatus::temporary);
}

BOOST_AUTO_TEST_CASE(greeting_421_is_temporary_and_ends_at_once) {
  ClientSession s = make(plain_options(), transaction({"a@example.net", "b@example.net"}));
  BOOST_TEST(say(s, "421 4.3.2 mx.example.net Service not available, closing channel\r\n") == "");
  BOOST_TEST(s.done());
  for (const RecipientResult& r : s.results()) {
    BOOST_TEST(r.status == DeliveryStatus::temporary);
    BOOST_TEST(r.reply.find("421 4.3.2 mx.example.net Service not available") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(greeting_554_is_temporary_for_this_host_and_says_quit) {
  ClientSession s = make(plain_options(), transaction({"a@example.net"}));
  BOOST_TEST(say(s, "554 5.7.1 no SMTP service here\r\n") == "QUIT\r\n");
  BOOST_TEST(s.finished());
  BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
}

BOOST_AUTO_TEST_CASE(mail_from_5xx_is_permanent_for_everyone) {
  ClientSession s = make(plain_options(), transaction({"a@example.net", "b@example.net"}));
  open_plain(s);
  say(s, "250 mx\r\n");
  BOOST_TEST(say(s, "553 5.7.1 <jay@example.org>: Sender address rejected\r\n") == "QUIT\r\n");
  for (const RecipientResult& r : s.results()) BOOST_TEST(r.status == DeliveryStatus::permanent);
}

BOOST_AUTO_TEST_CASE(final_554_is_permanent_for_the_accepted_recipients) {
  ClientSession s = make(plain_options(), transaction({"a@example.net", "b@example.net", "c@example.net"}));
  open_plain(s);
  say(s, "250 mx\r\n");
  say(s, "250 ok\r\n");
  say(s, "250 ok\r\n");
  say(s, "452 4.5.3 Too many recipients\r\n");
  say(s, "250 ok\r\n");
  BOOST_TEST(say(s, "354 go\r\n").size() > 0u);
  BOOST_TEST(say(s, "554 5.7.1 message content rejected\r\n") == "QUIT\r\n");
  const auto& r = s.results();
  BOOST_TEST(r[0].status == DeliveryStatus::permanent);
  BOOST_TEST(r[0].reply == "554 5.7.1 message content rejected");
  BOOST_TEST(r[1].status == DeliveryStatus::temporary);
  BOOST_TEST(r[1].reply == "452 4.5.3 Too many recipients");
  BOOST_TEST(r[2].status == DeliveryStatus::permanent);
}

BOOST_AUTO_TEST_CASE(size_over_the_servers_limit_is_not_sent) {
  ClientSession s = make(plain_options(), transaction({"a@example.net"}, std::string(2000, 'x')));
  open_plain(s);
  BOOST_TEST(say(s, "250-mx\r\n250 SIZE 1000\r\n") == "QUIT\r\n");
  BOOST_TEST(s.results()[0].status == DeliveryStatus::permanent);
  BOOST_TEST(s.results()[0].reply.find("552 5.3.4") == 0u);
}

BOOST_AUTO_TEST_CASE(dot_stuffing_byte_for_byte) {
  // Dots at line starts are doubled; CRLF, bare LF and bare CR all end a
  // line on the wire as CRLF, so "\n.\r\n" (a smuggling attempt) is stuffed
  // too; a last line without an end gets one.
  std::string message =
      ".hidden\r\n"
      "..two\n"
      ".\r\n"
      "mid.dle\r\n"
      "smuggle\n.\r\n"
      "cr\r.lone\r"
      "\r\n"
      "last.";
  std::string wire =
      "..hidden\r\n"
      "...two\r\n"
      "..\r\n"
      "mid.dle\r\n"
      "smuggle\r\n..\r\n"
      "cr\r\n..lone\r\n"
      "\r\n"
      "last.\r\n"
      ".\r\n";
  BOOST_TEST(text(ClientSession::encode_data(bytes(message))) == wire);
  BOOST_TEST(text(ClientSession::encode_data(Bytes{})) == ".\r\n");
  BOOST_TEST(text(ClientSession::encode_data(bytes("a\r\n"))) == "a\r\n.\r\n");

  ClientSession s = make(plain_options(), transaction({"a@example.net"}, message));
  open_plain(s);
  say(s, "250 mx\r\n");
  say(s, "250 ok\r\n");
  BOOST_TEST(say(s, "250 ok\r\n") == "DATA\r\n");
  BOOST_TEST(say(s, "354 go\r\n") == wire);
}

BOOST_AUTO_TEST_CASE(large_message_goes_out_in_blocks) {
  // Dots at many line starts, some of them on block boundaries.
  std::string message;
  for (int i = 0; message.size() < 300 * 1024; ++i) message += (i % 3 ? ".line " : "line ") + std::to_string(i) + "\n";
  ClientSession s = make(plain_options(), transaction({"a@example.net"}, message));
  open_plain(s);
  say(s, "250-mx\r\n250 SIZE 0\r\n");  // SIZE 0: no limit
  say(s, "250 ok\r\n");
  say(s, "250 ok\r\n");
  s.receive(ByteView(std::string_view("354 go\r\n")), t0);
  std::string wire;
  int blocks = 0;
  while (s.has_output()) {
    Bytes block = s.take_output(t0);
    BOOST_TEST(block.size() <= ClientSession::kDataBlockSize + 16);
    wire += text(block);
    ++blocks;
  }
  BOOST_TEST(blocks >= 5);
  BOOST_TEST(wire == text(ClientSession::encode_data(bytes(message))));
}

BOOST_AUTO_TEST_CASE(deadlines_follow_rfc5321) {
  std::string message(200 * 1024, 'x');
  ClientSession s = make(plain_options(), transaction({"a@example.net"}, message));
  Time now = t0;
  BOOST_TEST(s.next_deadline() == now + Duration::minutes(5));  // greeting
  now += Duration::seconds(10);
  open_plain(s, now);
  BOOST_TEST(s.next_deadline() == now + Duration::minutes(5));  // EHLO
  now += Duration::seconds(1);
  BOOST_TEST(say(s, "250 mx\r\n", now).find("MAIL FROM") == 0u);
  BOOST_TEST(s.next_deadline() == now + Duration::minutes(5));  // MAIL
  now += Duration::seconds(1);
  BOOST_TEST(say(s, "250 ok\r\n", now).find("RCPT TO") == 0u);
  BOOST_TEST(s.next_deadline() == now + Duration::minutes(5));  // RCPT
  now += Duration::seconds(1);
  BOOST_TEST(say(s, "250 ok\r\n", now) == "DATA\r\n");
  BOOST_TEST(s.next_deadline() == now + Duration::minutes(2));  // DATA initiation
  now += Duration::seconds(1);
  s.receive(ByteView(std::string_view("354 go\r\n")), now);
  BOOST_TEST(s.next_deadline() == now + Duration::minutes(3));  // data block
  // The transport takes a block a minute: each hand-out restarts the clock.
  now += Duration::minutes(1);
  BOOST_TEST(s.take_output(now).size() > 0u);
  BOOST_TEST(s.next_deadline() == now + Duration::minutes(3));
  while (s.has_output()) {
    now += Duration::minutes(1);
    s.take_output(now);
  }
  BOOST_TEST(s.next_deadline() == now + Duration::minutes(10));  // DATA termination
  s.on_timer(now + Duration::minutes(10) - Duration::nanoseconds(1));
  BOOST_TEST(!s.finished());
  s.on_timer(now + Duration::minutes(10));
  BOOST_TEST(s.done());
  BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
  BOOST_TEST(s.results()[0].reply == "timed out after 10m waiting for the reply to the end of data");
}

BOOST_AUTO_TEST_CASE(timeouts_in_each_wait_are_temporary) {
  struct Case {
    int replies;  // how far the server gets before it goes silent
    Duration wait;
    const char* what;
  };
  const Case cases[] = {
      {0, Duration::minutes(5), "the greeting"},     {1, Duration::minutes(5), "the reply to EHLO"},
      {2, Duration::minutes(5), "the reply to MAIL FROM"}, {3, Duration::minutes(5), "the reply to RCPT TO"},
      {4, Duration::minutes(2), "the reply to DATA"},
  };
  const char* script[] = {"220 mx\r\n", "250 mx\r\n", "250 ok\r\n", "250 ok\r\n"};
  for (const Case& c : cases) {
    ClientSession s = make(plain_options(), transaction({"a@example.net"}));
    for (int i = 0; i < c.replies; ++i) say(s, script[i]);
    BOOST_TEST(s.next_deadline() == t0 + c.wait);
    s.on_timer(t0 + c.wait);
    BOOST_TEST(s.done());
    BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
    BOOST_CHECK_MESSAGE(s.error().find(c.what) != std::string::npos, s.error() << " names " << c.what);
  }
  // A transport that takes no data for 3 minutes.
  ClientSession s = make(plain_options(), transaction({"a@example.net"}, std::string(200 * 1024, 'x')));
  for (const char* line : script) say(s, line);
  s.receive(ByteView(std::string_view("354 go\r\n")), t0);
  s.take_output(t0);
  s.on_timer(t0 + Duration::minutes(3));
  BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
  BOOST_TEST(s.error() == "timed out: the connection took no message data for 3m");
}

BOOST_AUTO_TEST_CASE(malformed_replies_fail_temporarily) {
  struct Case {
    std::string server;
    const char* error;
  };
  const Case cases[] = {
      {"hello\r\n", "malformed reply 'hello'"},
      {"22 short\r\n", "malformed reply"},
      {"620 bad class\r\n", "malformed reply"},
      {"2200 no separator\r\n", "malformed reply"},
      {"220-mx\r\n230 other code\r\n", "disagree on the code (220 then 230)"},
      {std::string(600, 'x'), "longer than 512 bytes"},
      {"220 " + std::string(600, 'y') + "\r\n", "longer than 512 bytes"},
      {"220 mx\r\n250 ahead of time\r\n", "after its reply to the greeting unasked"},
  };
  for (const Case& c : cases) {
    ClientSession s = make(plain_options(), transaction({"a@example.net"}));
    BOOST_TEST(say(s, c.server) == "");
    BOOST_TEST(s.done());
    BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
    BOOST_CHECK_MESSAGE(s.error().find(c.error) != std::string::npos, "'" << s.error() << "' has '" << c.error << "'");
  }
  // A reply of endless continuation lines is cut off.
  ClientSession s = make(plain_options(), transaction({"a@example.net"}));
  std::string flood;
  for (int i = 0; i < 200; ++i) flood += "220-more\r\n";
  say(s, flood);
  BOOST_TEST(s.done());
  BOOST_TEST(s.error().find("more than 100 lines") != std::string::npos);
  // A megabyte without a line end is refused without being kept.
  ClientSession big = make(plain_options(), transaction({"a@example.net"}));
  open_plain(big);
  say(big, std::string(1 << 20, 'z'));
  BOOST_TEST(big.done());
}

BOOST_AUTO_TEST_CASE(connection_lost_fails_even_accepted_recipients) {
  ClientSession s = make(plain_options(), transaction({"a@example.net", "b@example.net"}));
  open_plain(s);
  say(s, "250 mx\r\n");
  say(s, "250 ok\r\n");
  say(s, "250 ok\r\n");  // a accepted
  s.on_connection_lost(Error(ErrorCode::closed, "eof"), t0);
  BOOST_TEST(s.done());
  for (const RecipientResult& r : s.results()) {
    BOOST_TEST(r.status == DeliveryStatus::temporary);
    BOOST_TEST(r.reply == "connection closed by the server while waiting for the reply to RCPT TO");
  }
}

BOOST_AUTO_TEST_CASE(create_refuses_what_would_inject_commands) {
  auto refused = [](ClientSessionOptions o, ClientTransaction t) {
    return !ClientSession::create(std::move(o), std::move(t), t0).ok();
  };
  BOOST_TEST(refused(plain_options(), transaction({"a@example.net>\r\nRCPT TO:<b@example.net"})));
  BOOST_TEST(refused(plain_options(), transaction({})));
  ClientTransaction t = transaction({"a@example.net"});
  t.mail_from = "x@example.org> SIZE=1";
  BOOST_TEST(refused(plain_options(), t));
  ClientSessionOptions o = plain_options();
  o.helo = "relay\r\nQUIT";
  BOOST_TEST(refused(o, transaction({"a@example.net"})));
  ClientSessionOptions creds = plain_options();
  creds.credentials = ClientCredentials{"mailuser", "foobar"};
  BOOST_TEST(refused(creds, transaction({"a@example.net"})));  // credentials without TLS
  ClientSessionOptions no_ctx = plain_options();
  no_ctx.tls = ClientTls::opportunistic;
  BOOST_TEST(refused(no_ctx, transaction({"a@example.net"})));
}

// ---- TLS ----

BOOST_AUTO_TEST_CASE(starttls_with_verification_then_auth_plain) {
  ClientSessionOptions o = tls_options(ClientTls::required_starttls, client_context(true, &server_certificate()));
  o.credentials = ClientCredentials{"mailuser", "foobar"};
  ClientSession s = make(o, transaction({"friend@example.net"}));
  TlsServer server(s);
  start_tls(s, server);
  BOOST_TEST(s.tls_active());
  BOOST_TEST(s.tls_peer_verified());
  BOOST_TEST(s.tls_description().find("TLS") == 0u);
  BOOST_TEST(server.hear() == "EHLO relay.example.org\r\n");
  BOOST_TEST(s.extensions().starttls == false);  // forgotten until the new EHLO reply
  BOOST_TEST(server.say("250-mx.example.net\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 1000000\r\n") ==
             "AUTH PLAIN AG1haWx1c2VyAGZvb2Jhcg==\r\n");
  BOOST_TEST(server.say("235 2.7.0 Authentication successful\r\n") == "MAIL FROM:<jay@example.org> SIZE=22\r\n");
  BOOST_TEST(s.authenticated());
  BOOST_TEST(server.say("250 ok\r\n") == "RCPT TO:<friend@example.net>\r\n");
  BOOST_TEST(server.say("250 ok\r\n") == "DATA\r\n");
  BOOST_TEST(server.say("354 go\r\n") == "Subject: hi\r\n\r\nhello\r\n.\r\n");
  BOOST_TEST(server.say("250 2.0.0 queued\r\n") == "QUIT\r\n");
  server.say("221 bye\r\n");
  BOOST_TEST(s.done());
  BOOST_TEST(s.results()[0].status == DeliveryStatus::delivered);
}

BOOST_AUTO_TEST_CASE(auth_login_when_plain_is_not_offered) {
  ClientSessionOptions o = tls_options(ClientTls::required_starttls, client_context(false, nullptr));
  o.credentials = ClientCredentials{"mailuser", "foobar"};
  ClientSession s = make(o, transaction({"friend@example.net"}));
  TlsServer server(s);
  start_tls(s, server);
  BOOST_TEST(s.tls_active());
  BOOST_TEST(!s.tls_peer_verified());  // verification off: self-signed is fine
  server.hear();
  BOOST_TEST(server.say("250-mx\r\n250 AUTH LOGIN\r\n") == "AUTH LOGIN\r\n");
  BOOST_TEST(server.say("334 VXNlcm5hbWU6\r\n") == "bWFpbHVzZXI=\r\n");
  BOOST_TEST(server.say("334 UGFzc3dvcmQ6\r\n") == "Zm9vYmFy\r\n");
  BOOST_TEST(server.say("235 ok\r\n") == "MAIL FROM:<jay@example.org>\r\n");
}

BOOST_AUTO_TEST_CASE(auth_failures_are_temporary) {
  ClientSessionOptions o = tls_options(ClientTls::required_starttls, client_context(false, nullptr));
  o.credentials = ClientCredentials{"mailuser", "wrong"};
  {
    ClientSession s = make(o, transaction({"friend@example.net"}));
    TlsServer server(s);
    start_tls(s, server);
    server.hear();
    server.say("250-mx\r\n250 AUTH PLAIN\r\n");
    BOOST_TEST(server.say("535 5.7.8 Authentication credentials invalid\r\n") == "QUIT\r\n");
    BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
    BOOST_TEST(s.error() == "AUTH rejected: 535 5.7.8 Authentication credentials invalid");
  }
  {
    ClientSession s = make(o, transaction({"friend@example.net"}));
    TlsServer server(s);
    start_tls(s, server);
    server.hear();
    BOOST_TEST(server.say("250 mx\r\n") == "QUIT\r\n");
    BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
    BOOST_TEST(s.error() == "the server does not offer AUTH");
  }
}

BOOST_AUTO_TEST_CASE(starttls_with_the_wrong_ca_is_temporary) {
  for (ClientTls mode : {ClientTls::required_starttls, ClientTls::opportunistic}) {
    ClientSession s = make(tls_options(mode, client_context(true, &other_certificate())), transaction({"a@example.net"}));
    TlsServer server(s);
    start_tls(s, server);
    BOOST_TEST(s.done());
    BOOST_TEST(!s.tls_active());
    BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
    BOOST_CHECK_MESSAGE(s.error().find("TLS handshake failed") == 0u, s.error());
    BOOST_TEST(s.opportunistic_tls_failed() == (mode == ClientTls::opportunistic));
    BOOST_TEST(server.tls().read_plaintext().empty());  // not a byte of the mail
  }
}

BOOST_AUTO_TEST_CASE(starttls_policies) {
  {  // required, not offered
    ClientSession s = make(tls_options(ClientTls::required_starttls, client_context(false, nullptr)),
                           transaction({"a@example.net"}));
    open_plain(s);
    BOOST_TEST(say(s, "250-mx\r\n250 8BITMIME\r\n") == "QUIT\r\n");
    BOOST_TEST(s.results()[0].status == DeliveryStatus::temporary);
    BOOST_TEST(s.error() == "TLS required but the server does not offer STARTTLS");
  }
  {  // opportunistic, not offered: plain
    ClientSession s = make(tls_options(ClientTls::opportunistic, client_context(false, nullptr)),
                           transaction({"a@example.net"}));
    open_plain(s);
    BOOST_TEST(say(s, "250 mx\r\n") == "MAIL FROM:<jay@example.org>\r\n");
  }
  {  // opportunistic, offered but refused: plain
    ClientSession s = make(tls_options(ClientTls::opportunistic, client_context(false, nullptr)),
                           transaction({"a@example.net"}));
    open_plain(s);
    BOOST_TEST(say(s, "250-mx\r\n250 STARTTLS\r\n") == "STARTTLS\r\n");
    BOOST_TEST(say(s, "454 4.7.0 TLS not available\r\n") == "MAIL FROM:<jay@example.org>\r\n");
  }
  {  // none: never, even when offered
    ClientSession s = make(plain_options(), transaction({"a@example.net"}));
    open_plain(s);
    BOOST_TEST(say(s, "250-mx\r\n250 STARTTLS\r\n") == "MAIL FROM:<jay@example.org>\r\n");
  }
  {  // response injection: bytes after the 220 to STARTTLS, before the handshake
    ClientSession s = make(tls_options(ClientTls::opportunistic, client_context(false, nullptr)),
                           transaction({"a@example.net"}));
    open_plain(s);
    say(s, "250-mx\r\n250 STARTTLS\r\n");
    BOOST_TEST(say(s, "220 go ahead\r\n250 injected\r\n") == "");
    BOOST_TEST(s.done());
    BOOST_TEST(s.error().find("unasked") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(implicit_tls_smtps) {
  ClientSession s = make(tls_options(ClientTls::implicit, client_context(true, &server_certificate())),
                         transaction({"a@example.net"}));
  BOOST_TEST(s.has_output());  // the ClientHello
  TlsServer server(s);
  server.pump();
  BOOST_TEST(s.tls_active());
  BOOST_TEST(server.say("220 mx.example.net ESMTP\r\n") == "EHLO relay.example.org\r\n");
  BOOST_TEST(server.say("250-mx\r\n250 STARTTLS\r\n") == "MAIL FROM:<jay@example.org>\r\n");  // no STARTTLS in TLS
}

BOOST_AUTO_TEST_SUITE_END()
