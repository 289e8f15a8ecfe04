// tetherd and OpenSMTPD (Debian's 6.8, the implementation tether replaces)
// relaying to each other with STARTTLS, in one namespace: tetherd on
// 127.0.0.11:25, OpenSMTPD on 127.0.0.12:25, each with a self-signed
// certificate, mail injected with swaks. OpenSMTPD delivers example.org to a
// virtual-user maildir owned by its own user and relays example.com to
// tetherd with `relay host smtp+tls://... tls no-verify`; tetherd delivers
// example.com to its maildir and relays example.org to OpenSMTPD, once with
// opportunistic STARTTLS and once with `tls no-verify` required.
//
// Debian 12's OpenSMTPD 6.8.0p2 cannot finish a TLS handshake as a server
// under OpenSSL 3: its privilege-separated key engine loses the private key
// ("missing private key", "EVP lib"; OpenSMTPD issues #1171, #1239, fixed
// upstream in 7.x by PR #1208). As a client it works. The tests probe
// OpenSMTPD's STARTTLS first and check what tetherd must do either way:
// with a working peer, TLS on the hop; with this one, the opportunistic
// relay retries in clear (as OpenSMTPD itself does) and the required one
// never sends in clear and keeps the mail queued.

#include <pwd.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <sstream>

#include "interop/smtp_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::smtp_lab;

namespace {

const std::string kTether = "127.0.0.11";
const std::string kOpenSmtpd = "127.0.0.12";

struct OpenSmtpdLab {
  TestDirectory dir{"tether-smtp-opensmtpd"};
  std::unique_ptr<lab::LabWorld> world = smtp_world();
  std::string ns = world->namespace_of("smtp");
  std::filesystem::path tether_maildir = dir / "tether-Maildir";
  std::filesystem::path opensmtpd_maildir = dir / "opensmtpd-Maildir";
  std::unique_ptr<RelayDaemon> tetherd;
  std::unique_ptr<OpenSmtpd> opensmtpd;

  OpenSmtpdLab() {
    // No records: nothing listens on the namespace's resolver, so
    // OpenSMTPD's lookups of each client (before its greeting) and
    // tetherd's fail at once, and /etc/hosts still answers.
    // clang-format off
    tetherd = std::make_unique<RelayDaemon>(
        ns, dir, "tetherd",
        write_pki(dir, "tether.example.com") +
            "listen on " + kTether + " tls pki tether.example.com hostname tether.example.com\n"
            "queue retry constant 2s\n"
            "action \"local\" maildir \"" + tether_maildir.string() + "\"\n"
            "action \"to_opensmtpd\" relay host smtp://" + kOpenSmtpd + "\n"
            "action \"to_opensmtpd_tls\" relay host smtp+tls://" + kOpenSmtpd + " tls no-verify\n"
            "match from any for domain \"example.com\" action \"local\"\n"
            "match from any for domain \"example.org\" action \"to_opensmtpd\"\n"
            "match from any for domain \"secure.example.org\" action \"to_opensmtpd_tls\"\n");
    // clang-format on

    std::filesystem::create_directories(opensmtpd_maildir);
    const passwd* user = ::getpwnam("opensmtpd");
    BOOST_TEST_REQUIRE(user != nullptr, "no opensmtpd user: is the opensmtpd package configured?");
    BOOST_TEST_REQUIRE(::chown(opensmtpd_maildir.c_str(), user->pw_uid, user->pw_gid) == 0);
    // clang-format off
    opensmtpd = std::make_unique<OpenSmtpd>(
        ns, dir,
        write_pki(dir, "opensmtpd.example.net") +
            "table vusers { \"@example.org\" = \"opensmtpd\", \"@secure.example.org\" = \"opensmtpd\" }\n"
            "table vdomains { \"example.org\", \"secure.example.org\" }\n"
            "listen on " + kOpenSmtpd + " tls pki opensmtpd.example.net hostname opensmtpd.example.net\n"
            "action \"local\" maildir \"" + opensmtpd_maildir.string() + "\" virtual <vusers>\n"
            "action \"to_tether\" relay host smtp+tls://" + kTether + ":25 tls no-verify\n"
            "match from any for domain <vdomains> action \"local\"\n"
            "match from any for domain \"example.com\" action \"to_tether\"\n",
        kOpenSmtpd, 25);
    // clang-format on
  }

  ProcessResult send(const std::string& server, const std::string& to, const std::string& tag,
                     const std::vector<std::string>& extra = {}) {
    const auto data = dir / (tag + ".eml");
    write_file(data, message_data(tag), 0644);
    std::vector<std::string> args{
        "--helo",    "client.test", "--from", "alice@example.net", "--to", to, "--data", "@" + data.string(),
        "--timeout", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return swaks(ns, server, 25, args);
  }

  // Does OpenSMTPD's STARTTLS complete a handshake? (Not with Debian 12's.)
  bool opensmtpd_starttls_works() {
    ProcessResult probe = swaks(ns, kOpenSmtpd, 25,
                                {"--helo", "client.test", "--tls", "--quit-after", "TLS", "--timeout", "5"});
    if (probe.exit_code != 0) {
      std::string said;  // swaks's own lines: "*** TLS startup failed (...)"
      std::istringstream lines(probe.out + probe.err);
      for (std::string line; std::getline(lines, line);)
        if (line.rfind("***", 0) == 0) said += "\n  " + line;
      BOOST_TEST_MESSAGE(
          "OpenSMTPD's STARTTLS fails as a server (Debian 12's 6.8 under OpenSSL 3, OpenSMTPD "
          "issue #1171); checking what tetherd does with such a peer. swaks:"
          << said);
    }
    return probe.exit_code == 0;
  }

  std::string logs() {
    return "--- tetherd ---\n" + tetherd->log() + "--- OpenSMTPD ---\n" + opensmtpd->log();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(smtp_interop_opensmtpd, *boost::unit_test::precondition(needs_smtp_peers))

BOOST_AUTO_TEST_CASE(opensmtpd_relays_to_tetherd_over_starttls) {
  OpenSmtpdLab lab;
  ProcessResult r = lab.send(kOpenSmtpd, "root@example.com", "opensmtpd-to-tether");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe() + lab.logs());

  auto files = wait_for_mail(lab.tether_maildir, 1, Duration::seconds(20));
  BOOST_TEST_REQUIRE(files.size() == 1u, lab.logs());
  const std::string file = read_file(files.front());
  DeliveredMessage m = split_trace(file);
  BOOST_TEST(m.rest == stored_form(message_data("opensmtpd-to-tether")), file);
  BOOST_TEST_REQUIRE(m.received.size() == 2u, file);
  // Top: tetherd took it from OpenSMTPD inside TLS.
  BOOST_TEST(contains(m.received[0], "by tether.example.com (tether) with ESMTPS id "), m.received[0]);
  BOOST_TEST(contains(m.received[0], "(TLSv1."), m.received[0]);
  BOOST_TEST(contains(m.received[0], "for <root@example.com>;"), m.received[0]);
  // Below: OpenSMTPD took it from swaks.
  BOOST_TEST(m.received[1].rfind("Received: from client.test (", 0) == 0, m.received[1]);
  BOOST_TEST(contains(m.received[1], "by opensmtpd.example.net (OpenSMTPD) with ESMTP id "), m.received[1]);
  BOOST_TEST(contains(lab.tetherd->log(), "TLS with "), lab.tetherd->log());
}

BOOST_AUTO_TEST_CASE(tetherd_relays_to_opensmtpd_with_opportunistic_starttls) {
  OpenSmtpdLab lab;
  const bool peer_tls = lab.opensmtpd_starttls_works();
  ProcessResult r = lab.send(kTether, "bob@example.org", "tether-to-opensmtpd", {"--tls"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe() + lab.logs());

  auto files = wait_for_mail(lab.opensmtpd_maildir, 1, Duration::seconds(20));
  BOOST_TEST_REQUIRE(files.size() == 1u, lab.logs());
  const std::string file = read_file(files.front());
  DeliveredMessage m = split_trace(file);
  BOOST_TEST(m.rest == stored_form(message_data("tether-to-opensmtpd")), file);
  BOOST_TEST_REQUIRE(m.received.size() == 2u, file);
  BOOST_TEST(contains(file, "Delivered-To: bob@example.org\n"), file);
  // Top: OpenSMTPD took it from tetherd; below: tetherd took it from swaks
  // over STARTTLS.
  BOOST_TEST(contains(m.received[0], "by opensmtpd.example.net (OpenSMTPD) with ESMTP"), m.received[0]);
  BOOST_TEST(contains(m.received[1], "by tether.example.com (tether) with ESMTPS id "), m.received[1]);
  BOOST_TEST(contains(m.received[1], "(TLSv1."), m.received[1]);
  if (peer_tls) {
    BOOST_TEST(contains(m.received[0], " with ESMTPS id "), m.received[0]);
    BOOST_TEST(contains(m.received[0], "(TLSv1."), m.received[0]);
  } else {
    BOOST_TEST(contains(m.received[0], " with ESMTP id "), m.received[0]);
    BOOST_TEST(contains(lab.tetherd->log(), "STARTTLS failed"), lab.tetherd->log());
    BOOST_TEST(contains(lab.tetherd->log(), "trying again without TLS"), lab.tetherd->log());
  }
}

BOOST_AUTO_TEST_CASE(tetherd_relays_to_opensmtpd_with_required_starttls) {
  OpenSmtpdLab lab;
  const bool peer_tls = lab.opensmtpd_starttls_works();
  ProcessResult r = lab.send(kTether, "carol@secure.example.org", "tether-to-opensmtpd-tls", {"--tls"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe() + lab.logs());

  if (peer_tls) {
    auto files = wait_for_mail(lab.opensmtpd_maildir, 1, Duration::seconds(20));
    BOOST_TEST_REQUIRE(files.size() == 1u, lab.logs());
    const std::string file = read_file(files.front());
    DeliveredMessage m = split_trace(file);
    BOOST_TEST(m.rest == stored_form(message_data("tether-to-opensmtpd-tls")), file);
    BOOST_TEST_REQUIRE(m.received.size() == 2u, file);
    BOOST_TEST(contains(m.received[0], "by opensmtpd.example.net (OpenSMTPD) with ESMTPS id "),
               m.received[0]);
    BOOST_TEST(contains(m.received[0], "(TLSv1."), m.received[0]);
    return;
  }
  // The handshake fails; the mail waits in tetherd's queue with the reason,
  // tried at least twice (retry 2s), and OpenSMTPD never sees it in clear.
  ProcessResult queue;
  const bool retried = eventually(
      [&] {
        queue = lab.tetherd->ctl({"show", "queue"});
        return contains(queue.out, "|carol@secure.example.org|") && contains(queue.out, "|pending|") &&
               !contains(queue.out, "|1|pending|") && !contains(queue.out, "|0|pending|");
      },
      Duration::seconds(15));
  BOOST_TEST(retried, queue.describe() + lab.logs());
  BOOST_TEST_MESSAGE("tetherd keeps it queued: " << queue.out);
  BOOST_TEST(contains(queue.out, "TLS"), queue.out);
  BOOST_TEST(!contains(lab.tetherd->log(), "trying again without TLS"), lab.tetherd->log());
  BOOST_TEST(mail_in(lab.opensmtpd_maildir).empty(), lab.logs());
}

BOOST_AUTO_TEST_SUITE_END()
