// swaks, an independent SMTP client, against tetherd --relay: mail in clear,
// over STARTTLS (tetherd's pki a self-signed certificate), and AUTH PLAIN and
// LOGIN after STARTTLS against the seed's credentials table (namorar's
// etc/mail/secrets: mailuser, bcrypt of "foobar"); a wrong password gets 535,
// and AUTH in clear is neither offered nor accepted. Every accepted message
// is read back from tetherd's maildir: below the Received field tetherd
// added, the DATA swaks sent, byte for byte (in maildir's LF form).

#include <boost/test/unit_test.hpp>

#include "interop/smtp_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::smtp_lab;

namespace {

const std::string kSeeds = SEED_CONFIG_DIR;

// One tetherd in a namespace of its own: port 25 offers STARTTLS, port 587
// offers STARTTLS and requires AUTH (offered only after STARTTLS).
struct SwaksLab {
  TestDirectory dir{"tether-smtp-swaks"};
  std::unique_ptr<lab::LabWorld> world = smtp_world();
  std::string ns = world->namespace_of("smtp");
  std::filesystem::path maildir = dir / "Maildir";
  std::unique_ptr<RelayDaemon> tetherd;

  SwaksLab() {
    // No records: nothing listens on the namespace's resolver, so lookups
    // fail at once instead of waiting on one this namespace cannot reach.
    // clang-format off
    tetherd = std::make_unique<RelayDaemon>(
        ns, dir, "tetherd",
        write_pki(dir, "lab.example.org") +
            "table credentials file:" + kSeeds + "/namorar/etc/mail/secrets\n"
            "listen on 127.0.0.1 port 25 tls pki lab.example.org hostname lab.example.org\n"
            "listen on 127.0.0.1 port 587 tls pki lab.example.org hostname lab.example.org auth <credentials>\n"
            "action \"local\" maildir \"" + maildir.string() + "\"\n"
            "match from any for domain \"example.org\" action \"local\"\n");
    // clang-format on
  }

  // swaks to root@example.org with message_data(tag) as the DATA.
  ProcessResult send(int port, const std::string& tag, const std::vector<std::string>& extra) {
    const auto data = dir / (tag + ".eml");
    write_file(data, message_data(tag), 0644);
    std::vector<std::string> args{"--helo",    "client.test",
                                  "--from",    "alice@example.net",
                                  "--to",      "root@example.org",
                                  "--data",    "@" + data.string(),
                                  "--timeout", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return swaks(ns, "127.0.0.1", port, args);
  }

  // The one new message since `before` files were there, checked byte for
  // byte against what `tag` sent; its Received field.
  std::string delivered(std::size_t before, const std::string& tag) {
    auto files = wait_for_mail(maildir, before + 1, Duration::seconds(10));
    BOOST_TEST_REQUIRE(files.size() == before + 1, tetherd->log());
    std::string newest;
    for (const auto& f : files) {
      const std::string text = read_file(f);
      if (contains(text, "Subject: tether interop: " + tag + "\n")) newest = text;
    }
    BOOST_TEST_REQUIRE(!newest.empty(), "no message for " << tag);
    DeliveredMessage m = split_trace(newest);
    BOOST_TEST(m.rest == stored_form(message_data(tag)), newest);
    BOOST_TEST_REQUIRE(m.received.size() == 1u, newest);
    BOOST_TEST(m.other_trace.empty(), newest);
    BOOST_TEST(m.received[0].rfind("Received: from client.test (", 0) == 0, m.received[0]);
    BOOST_TEST(contains(m.received[0], "by lab.example.org (tether) with "), m.received[0]);
    BOOST_TEST(contains(m.received[0], "for <root@example.org>;"), m.received[0]);
    return m.received[0];
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(smtp_interop_swaks, *boost::unit_test::precondition(needs_smtp_peers))

BOOST_AUTO_TEST_CASE(plain_mail_lands_byte_for_byte) {
  SwaksLab lab;
  ProcessResult r = lab.send(25, "plain", {});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe() + lab.tetherd->log());
  BOOST_TEST(contains(r.out, "<-  250-STARTTLS"), r.out);  // offered, not taken
  const std::string received = lab.delivered(0, "plain");
  BOOST_TEST(contains(received, " with ESMTP id "), received);
  BOOST_TEST(!contains(received, "TLSv"), received);
}

BOOST_AUTO_TEST_CASE(starttls_mail_lands_and_received_says_tls) {
  SwaksLab lab;
  ProcessResult r = lab.send(25, "starttls", {"--tls"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe() + lab.tetherd->log());
  BOOST_TEST(contains(r.out, "<-  220 "), r.out);        // the answer to STARTTLS
  BOOST_TEST(contains(r.out, "<~  250 2.0.0 "), r.out);  // DATA accepted inside TLS
  const std::string received = lab.delivered(0, "starttls");
  BOOST_TEST(contains(received, " with ESMTPS id "), received);
  BOOST_TEST(contains(received, "(TLSv1."), received);
}

BOOST_AUTO_TEST_CASE(auth_plain_and_login_after_starttls_with_the_seed_credentials) {
  SwaksLab lab;
  std::size_t before = 0;
  for (const std::string mechanism : {"PLAIN", "LOGIN"}) {
    BOOST_TEST_CONTEXT(mechanism) {
      const std::string tag = "auth-" + mechanism;
      ProcessResult r = lab.send(
          587, tag, {"--tls", "--auth", mechanism, "--auth-user", "mailuser", "--auth-password", "foobar"});
      BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe() + lab.tetherd->log());
      BOOST_TEST(contains(r.out, "<~  250-AUTH PLAIN LOGIN"), r.out);
      BOOST_TEST(contains(r.out, "<~  235 2.7.0 Authentication succeeded"), r.out);
      const std::string received = lab.delivered(before++, tag);
      BOOST_TEST(contains(received, " with ESMTPSA id "), received);
      BOOST_TEST(contains(received, "(TLSv1."), received);
    }
  }
}

BOOST_AUTO_TEST_CASE(wrong_password_is_refused_with_535) {
  SwaksLab lab;
  for (const std::string mechanism : {"PLAIN", "LOGIN"}) {
    BOOST_TEST_CONTEXT(mechanism) {
      ProcessResult r =
          lab.send(587, "wrong-" + mechanism,
                   {"--tls", "--auth", mechanism, "--auth-user", "mailuser", "--auth-password", "foobaz"});
      BOOST_TEST(r.exit_code != 0, r.describe());
      BOOST_TEST(contains(r.out, "<~* 535 5.7.8 "), r.out);
      BOOST_TEST(!contains(r.out, "MAIL FROM"), r.out);
    }
  }
  // Without AUTH, port 587 takes no mail either.
  ProcessResult anonymous = lab.send(587, "anonymous", {"--tls"});
  BOOST_TEST(anonymous.exit_code != 0, anonymous.describe());
  BOOST_TEST(contains(anonymous.out, "<~* 530 5.7.0 "), anonymous.out);
  BOOST_TEST(mail_in(lab.maildir).empty());
}

BOOST_AUTO_TEST_CASE(auth_without_tls_is_refused) {
  SwaksLab lab;
  // In clear, AUTH is not even offered; swaks gives up before MAIL.
  ProcessResult r = lab.send(587, "clear-auth",
                             {"--auth", "PLAIN", "--auth-user", "mailuser", "--auth-password", "foobar"});
  BOOST_TEST(r.exit_code != 0, r.describe());
  BOOST_TEST(contains(r.out + r.err, "Host did not advertise authentication"), r.describe());
  BOOST_TEST(!contains(r.out, "250-AUTH"), r.out);

  // A client that sends it anyway, with the right password, gets 538, and
  // MAIL is still refused for want of authentication.
  const std::string script =
      "import smtplib\n"
      "s = smtplib.SMTP('127.0.0.1', 587, local_hostname='client.test', timeout=10)\n"
      "s.ehlo()\n"
      "print('auth offered' if s.has_extn('auth') else 'auth not offered')\n"
      "code, text = s.docmd('AUTH', 'PLAIN AG1haWx1c2VyAGZvb2Jhcg==')\n"  // \0mailuser\0foobar
      "print('AUTH', code, text.decode())\n"
      "code, text = s.docmd('MAIL', 'FROM:<alice@example.net>')\n"
      "print('MAIL', code, text.decode())\n"
      "s.quit()\n";
  ProcessResult raw = run_process({"ip", "netns", "exec", lab.ns, "python3", "-c", script});
  BOOST_TEST_REQUIRE(raw.exit_code == 0, raw.describe());
  BOOST_TEST(contains(raw.out, "auth not offered\n"), raw.out);
  BOOST_TEST(contains(raw.out, "AUTH 538 5.7.11 "), raw.out);
  BOOST_TEST(contains(raw.out, "MAIL 530 5.7.0 "), raw.out);
  BOOST_TEST(mail_in(lab.maildir).empty());
}

BOOST_AUTO_TEST_SUITE_END()
