// STARTTLS and AUTH in the server session, with a real TLS client from
// impl/crypto pumped in memory and the seed's credential (mailuser/foobar).

#include <boost/test/unit_test.hpp>
#include <string>

#include "server_session_harness.h"
#include "crypto/bcrypt.h"
#include "smtp/sasl.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

SessionHarness tls_harness(Listener::Auth auth = Listener::Auth::optional) {
  SessionHarness h;
  h.options.tls = test_server_tls();
  h.options.listener.tls = Listener::Tls::starttls;
  h.options.listener.auth = auth;
  return h;
}

// Started, TLS up and EHLO sent again: where AUTH is offered.
void ready_for_auth(SessionHarness& h) {
  h.start();
  h.send("EHLO c.example\r\n");
  h.start_tls();
  h.send("EHLO c.example\r\n");
}

// Runs the check the session handed out, as the relay's worker does, and
// returns what the session says then.
std::string run_password_check(SessionHarness& h) {
  std::optional<PasswordCheck> check = h.session().take_password_check();
  BOOST_REQUIRE(check.has_value());
  BOOST_TEST(!h.session().take_password_check().has_value());  // handed out once
  h.session().complete_password_check(crypto::verify_password(check->password, check->hash), h.now());
  return h.send("");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(server_session_tls)

BOOST_AUTO_TEST_CASE(starttls_then_auth_plain_then_a_message) {
  SessionHarness h = tls_harness();
  h.start();
  BOOST_TEST(contains(h.send("EHLO c.example\r\n"), "250-STARTTLS\r\n"));
  BOOST_TEST(h.start_tls() == "220 2.0.0 Ready to start TLS\r\n");
  BOOST_TEST(h.session().tls_active());
  // RFC 3207 4.2: state is reset; EHLO again, which now offers AUTH and not STARTTLS.
  BOOST_TEST(h.send("MAIL FROM:<jay@example.com>\r\n") == "503 5.5.1 Send HELO/EHLO first\r\n");
  std::string ehlo = h.send("EHLO c.example\r\n");
  BOOST_TEST(contains(ehlo, "250-AUTH PLAIN LOGIN\r\n"));
  BOOST_TEST(!contains(ehlo, "STARTTLS"));
  BOOST_TEST(h.send("AUTH PLAIN " + plain_response(kSeedUser, kSeedPassword) + "\r\n") ==
             "235 2.7.0 Authentication succeeded\r\n");
  BOOST_TEST(h.session().auth_user() == "mailuser");
  BOOST_TEST(!contains(h.send("EHLO c.example\r\n"), "AUTH"));  // not offered twice
  BOOST_TEST(h.send("AUTH PLAIN " + plain_response(kSeedUser, kSeedPassword) + "\r\n") ==
             "503 5.5.1 Already authenticated\r\n");
  BOOST_TEST(h.send("MAIL FROM:<jay@example.com>\r\n") == "250 2.1.0 Ok\r\n");
  BOOST_TEST(h.send("RCPT TO:<test@example.com>\r\n") == "250 2.1.5 Recipient ok\r\n");
  BOOST_TEST(h.send("DATA\r\n") == "354 End data with <CR><LF>.<CR><LF>\r\n");
  BOOST_TEST(h.send("Subject: over TLS\r\n\r\nsecret\r\n.\r\n") ==
             "250 2.0.0 1a2b3c4d Message accepted for delivery\r\n");
  BOOST_REQUIRE(h.committed.size() == 1u);
  const MessageToCommit& m = h.committed[0];
  std::string content(m.content.begin(), m.content.end());
  BOOST_TEST(contains(content, "\tby mx.example.com (tether) with ESMTPSA id 1a2b3c4d\r\n\t(TLSv1.3:TLS_"), content);
  BOOST_TEST(contains(content, ":NO)\r\n\tfor <test@example.com>;\r\n"), content);
  BOOST_TEST(m.envelope.tls);
  BOOST_TEST(m.envelope.auth_user == "mailuser");
  BOOST_REQUIRE(h.routed.size() == 1u);
  BOOST_TEST(h.routed[0].tls);
  BOOST_TEST(h.routed[0].authenticated);
  BOOST_TEST(h.routed[0].auth_user == "mailuser");
  BOOST_TEST(h.send("QUIT\r\n") == "221 2.0.0 mx.example.com Bye\r\n");
  BOOST_TEST(h.session().closed());
}

BOOST_AUTO_TEST_CASE(auth_plain_with_a_continuation_and_auth_login) {
  {
    SessionHarness h = tls_harness();
    h.start();
    h.send("EHLO c.example\r\n");
    h.start_tls();
    h.send("EHLO c.example\r\n");
    BOOST_TEST(h.send("AUTH PLAIN\r\n") == "334 \r\n");
    BOOST_TEST(h.send(plain_response(kSeedUser, kSeedPassword) + "\r\n") == "235 2.7.0 Authentication succeeded\r\n");
  }
  {
    SessionHarness h = tls_harness();
    h.start();
    h.send("EHLO c.example\r\n");
    h.start_tls();
    h.send("EHLO c.example\r\n");
    BOOST_TEST(h.send("auth login\r\n") == "334 VXNlcm5hbWU6\r\n");
    BOOST_TEST(h.send(base64_encode(kSeedUser) + "\r\n") == "334 UGFzc3dvcmQ6\r\n");
    BOOST_TEST(h.send(base64_encode(kSeedPassword) + "\r\n") == "235 2.7.0 Authentication succeeded\r\n");
    BOOST_TEST(h.session().authenticated());
  }
  {
    // LOGIN with the user name as initial response.
    SessionHarness h = tls_harness();
    h.start();
    h.send("EHLO c.example\r\n");
    h.start_tls();
    h.send("EHLO c.example\r\n");
    BOOST_TEST(h.send("AUTH LOGIN " + base64_encode(kSeedUser) + "\r\n") == "334 UGFzc3dvcmQ6\r\n");
    BOOST_TEST(h.send(base64_encode(kSeedPassword) + "\r\n") == "235 2.7.0 Authentication succeeded\r\n");
  }
}

BOOST_AUTO_TEST_CASE(wrong_credentials_are_refused) {
  SessionHarness h = tls_harness();
  h.options.limits.max_auth_failures = 3;
  h.start();
  h.send("EHLO c.example\r\n");
  h.start_tls();
  h.send("EHLO c.example\r\n");
  BOOST_TEST(h.send("AUTH PLAIN " + plain_response(kSeedUser, "foobaz") + "\r\n") ==
             "535 5.7.8 Authentication credentials invalid\r\n");
  BOOST_TEST(h.send("AUTH PLAIN " + plain_response("nosuchuser", kSeedPassword) + "\r\n") ==
             "535 5.7.8 Authentication credentials invalid\r\n");
  BOOST_TEST(!h.session().authenticated());
  // Cancelled and malformed answers are not failures of a password.
  BOOST_TEST(h.send("AUTH LOGIN\r\n") == "334 VXNlcm5hbWU6\r\n");
  BOOST_TEST(h.send("*\r\n") == "501 5.0.0 Authentication cancelled\r\n");
  BOOST_TEST(h.send("AUTH PLAIN not-base64!\r\n") == "501 5.5.2 Invalid base64 data\r\n");
  BOOST_TEST(h.send("AUTH PLAIN " + base64_encode("no-nuls-here") + "\r\n") == "501 5.5.2 Invalid PLAIN response\r\n");
  BOOST_TEST(h.send("AUTH CRAM-MD5\r\n") == "504 5.5.4 Unrecognized authentication mechanism\r\n");
  // An authorization identity other than the user is refused.
  std::string proxy = std::string("root") + '\0' + kSeedUser + '\0' + kSeedPassword;
  BOOST_TEST(h.send("AUTH PLAIN " + base64_encode(proxy) + "\r\n") ==
             "535 5.7.8 Authentication credentials invalid\r\n"
             "421 4.7.0 mx.example.com Too many authentication failures, closing connection\r\n");
  BOOST_TEST(h.session().closed());
}

// With the check handed to the app, nothing is answered until it completes;
// an unknown user is checked against a dummy hash like a known one.
BOOST_AUTO_TEST_CASE(deferred_password_checks) {
  SessionHarness h = tls_harness();
  h.options.defer_password_checks = true;
  ready_for_auth(h);
  BOOST_TEST(h.send("AUTH PLAIN " + plain_response(kSeedUser, "foobaz") + "\r\n") == "");
  BOOST_TEST((h.session().state() == ServerSession::State::auth_checking));
  BOOST_TEST(h.session().next_deadline().is_never());
  BOOST_TEST(run_password_check(h) == "535 5.7.8 Authentication credentials invalid\r\n");

  BOOST_TEST(h.send("AUTH PLAIN " + plain_response("nosuchuser", kSeedPassword) + "\r\n") == "");
  std::optional<PasswordCheck> dummy = h.session().take_password_check();
  BOOST_REQUIRE(dummy.has_value());
  BOOST_TEST(dummy->hash.rfind("$2b$10$", 0) == 0u);  // as costly as a real one
  BOOST_TEST(dummy->hash != kSeedHash);
  // Even a password that matched would not make an unknown user.
  h.session().complete_password_check(Result<bool>(true), h.now());
  BOOST_TEST(h.send("") == "535 5.7.8 Authentication credentials invalid\r\n");

  BOOST_TEST(h.send("AUTH LOGIN " + base64_encode(kSeedUser) + "\r\n") == "334 UGFzc3dvcmQ6\r\n");
  BOOST_TEST(h.send(base64_encode(kSeedPassword) + "\r\n") == "");
  BOOST_TEST(run_password_check(h) == "235 2.7.0 Authentication succeeded\r\n");
  BOOST_TEST(h.session().auth_user() == kSeedUser);
}

BOOST_AUTO_TEST_CASE(deferred_password_check_with_pipelined_input_is_refused) {
  SessionHarness h = tls_harness();
  h.options.defer_password_checks = true;
  ready_for_auth(h);
  BOOST_TEST(h.send("AUTH PLAIN " + plain_response(kSeedUser, kSeedPassword) + "\r\n") == "");
  BOOST_TEST(h.send("MAIL FROM:<jay@example.com>\r\n") == "");  // did not wait for the 235
  BOOST_TEST(run_password_check(h) == "235 2.7.0 Authentication succeeded\r\n500 5.5.1 Pipelining not supported\r\n");
  BOOST_TEST(h.session().closed());
}

BOOST_AUTO_TEST_CASE(auth_needs_tls_and_a_configured_table) {
  {
    SessionHarness h = tls_harness();
    h.start();
    h.send("EHLO c.example\r\n");
    BOOST_TEST(h.send("AUTH PLAIN " + plain_response(kSeedUser, kSeedPassword) + "\r\n") ==
               "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
    BOOST_TEST(!h.session().authenticated());
  }
  {
    // `auth` (not auth-optional): MAIL needs AUTH.
    SessionHarness h = tls_harness(Listener::Auth::required);
    h.start();
    h.send("EHLO c.example\r\n");
    BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "530 5.7.0 Authentication required\r\n");
    h.start_tls();
    h.send("EHLO c.example\r\n");
    BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "530 5.7.0 Authentication required\r\n");
    BOOST_TEST(reply_code(h.send("AUTH PLAIN " + plain_response(kSeedUser, kSeedPassword) + "\r\n")) == 235);
    BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "250 2.1.0 Ok\r\n");
  }
  {
    SessionHarness h = tls_harness(Listener::Auth::none);
    h.start();
    h.send("EHLO c.example\r\n");
    h.start_tls();
    BOOST_TEST(!contains(h.send("EHLO c.example\r\n"), "AUTH"));
    BOOST_TEST(h.send("AUTH PLAIN " + plain_response(kSeedUser, kSeedPassword) + "\r\n") ==
               "503 5.5.1 AUTH not available\r\n");
  }
}

BOOST_AUTO_TEST_CASE(tls_require_refuses_mail_before_starttls) {
  SessionHarness h = tls_harness(Listener::Auth::none);
  h.options.listener.tls = Listener::Tls::starttls_require;
  h.start();
  h.send("EHLO c.example\r\n");
  BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "530 5.7.0 Must issue a STARTTLS command first\r\n");
  BOOST_TEST(h.start_tls() == "220 2.0.0 Ready to start TLS\r\n");
  h.send("EHLO c.example\r\n");
  BOOST_TEST(h.send("MAIL FROM:<a@b.example>\r\n") == "250 2.1.0 Ok\r\n");
}

// CVE-2011-0411: plaintext written behind STARTTLS must not become commands
// "received over TLS". It is pipelining, so the session closes instead.
BOOST_AUTO_TEST_CASE(starttls_with_pipelined_plaintext_is_refused) {
  SessionHarness h = tls_harness();
  h.start();
  h.send("EHLO c.example\r\n");
  BOOST_TEST(h.send("STARTTLS\r\nMAIL FROM:<evil@example.com>\r\n") == "500 5.5.1 Pipelining not supported\r\n");
  BOOST_TEST(h.session().closed());
  BOOST_TEST(!h.session().tls_active());
}

BOOST_AUTO_TEST_CASE(starttls_order_and_parameters) {
  SessionHarness h = tls_harness();
  h.start();
  BOOST_TEST(h.send("STARTTLS\r\n") == "503 5.5.1 Send EHLO first\r\n");
  h.send("EHLO c.example\r\n");
  BOOST_TEST(h.send("STARTTLS now\r\n") == "501 5.5.4 STARTTLS takes no parameters\r\n");
  h.send("MAIL FROM:<a@b.example>\r\n");
  BOOST_TEST(h.send("STARTTLS\r\n") == "503 5.5.1 STARTTLS not allowed during a mail transaction\r\n");
  h.send("RSET\r\n");
  BOOST_TEST(h.start_tls() == "220 2.0.0 Ready to start TLS\r\n");
  h.send("EHLO c.example\r\n");
  BOOST_TEST(h.send("STARTTLS\r\n") == "503 5.5.1 TLS already active\r\n");
}

BOOST_AUTO_TEST_CASE(tls_handshake_timeout_and_garbage) {
  {
    SessionHarness h = tls_harness();
    h.start();
    h.send("EHLO c.example\r\n");
    BOOST_TEST(h.send("STARTTLS\r\n") == "220 2.0.0 Ready to start TLS\r\n");
    BOOST_TEST((h.session().state() == ServerSession::State::tls_handshake));
    h.advance(Duration::minutes(5));
    BOOST_TEST(h.session().closed());
    BOOST_TEST(h.session().close_reason() == "timeout");
  }
  {
    SessionHarness h = tls_harness();
    h.start();
    h.send("EHLO c.example\r\n");
    h.send("STARTTLS\r\n");
    h.send("EHLO this is not a ClientHello\r\n");
    BOOST_TEST(h.session().closed());
    BOOST_TEST(h.session().close_reason().compare(0, 11, "TLS failed:") == 0, h.session().close_reason());
  }
}

BOOST_AUTO_TEST_CASE(smtps_greets_after_the_handshake) {
  SessionHarness h;
  h.options.tls = test_server_tls();
  h.options.listener.tls = Listener::Tls::smtps;
  BOOST_TEST(h.start() == "");  // nothing in clear
  BOOST_TEST((h.session().state() == ServerSession::State::tls_handshake));
  Result<crypto::TlsContext> ctx = crypto::TlsContext::create(crypto::TlsRole::client);
  BOOST_REQUIRE(ctx.ok());
  Result<crypto::TlsSession> client = crypto::TlsSession::create(*ctx, "mx.example.com");
  BOOST_REQUIRE(client.ok());
  std::string plain;
  for (int i = 0; i < 10; ++i) {
    h.session().feed(client->take_ciphertext(), h.now());
    BOOST_REQUIRE(client->feed_ciphertext(h.session().take_output()).ok());
    Bytes p = client->read_plaintext();
    plain.append(p.begin(), p.end());
    if (!plain.empty()) break;
  }
  BOOST_TEST(plain == "220 mx.example.com ESMTP tether\r\n");
  BOOST_TEST(h.session().tls_active());
  BOOST_REQUIRE(client->write_plaintext(ByteView(std::string_view("EHLO c.example\r\n"))).ok());
  h.session().feed(client->take_ciphertext(), h.now());
  BOOST_REQUIRE(client->feed_ciphertext(h.session().take_output()).ok());
  Bytes p = client->read_plaintext();
  std::string ehlo(p.begin(), p.end());
  BOOST_TEST(contains(ehlo, "250-AUTH PLAIN LOGIN\r\n") == false);  // this listener has no auth
  BOOST_TEST(!contains(ehlo, "STARTTLS"));
  BOOST_TEST(reply_code(ehlo) == 250);
}

BOOST_AUTO_TEST_SUITE_END()
