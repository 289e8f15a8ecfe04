// Issue 14, hole 7: AUTH guessing was unlimited across sessions. Each
// session closes after 3 failures, but a client could open another: 60
// wrong passwords in 5 s from one address, then the right one was accepted.
// Here tetherd (the tether profile: 5 failures per client address, then a
// wait that doubles; impl/smtp/auth_failure_budget.h) is guessed at over
// STARTTLS by Python's smtplib from 127.0.0.1, then the real user logs in
// from 127.0.0.2: the guesser is held off, even with the right password,
// and the user elsewhere is not. Each failure is one stable log line with
// the client's address first (before the user name the client chose), for
// fail2ban.

#include <boost/test/unit_test.hpp>

#include "crypto/bcrypt.h"
#include "crypto/self_signed_certificate.h"
#include "support/network_namespace.h"
#include "relay_e2e/relay_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::relay_e2e;

namespace {

constexpr int kPort = 2587;

// One AUTH PLAIN per session, each from `source`: prints the AUTH reply's
// code for every password given on the command line.
const char kGuesser[] =
    "import smtplib, ssl, sys, base64\n"
    "source, passwords = sys.argv[1], sys.argv[2:]\n"
    "for p in passwords:\n"
    "    try:\n"
    "        s = smtplib.SMTP('127.0.0.1', 2587, source_address=(source, 0), timeout=20)\n"
    "        s.ehlo('guesser.test')\n"
    "        s.starttls(context=ssl._create_unverified_context())\n"
    "        s.ehlo('guesser.test')\n"
    "        token = base64.b64encode(b'\\0mailuser\\0' + p.encode()).decode()\n"
    "        code, text = s.docmd('AUTH', 'PLAIN ' + token)\n"
    "        print(code, flush=True)\n"
    "        s.close()\n"
    "    except Exception as e:\n"
    "        print('failed:', type(e).__name__, e, flush=True)\n";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_auth_budget, *boost::unit_test::precondition(needs_root_and_tetherd))

BOOST_AUTO_TEST_CASE(guessing_from_one_address_is_held_off_across_sessions) {
  TestDirectory dir{"relay-e2e-auth"};
  auto ns = NetworkNamespace::create_and_enter("relayauth");
  BOOST_TEST_REQUIRE(ns.ok(), (ns.ok() ? "" : ns.error().to_string()));
  auto cert = crypto::make_self_signed_certificate("mx.relay-e2e.test");
  BOOST_TEST_REQUIRE(cert.ok());
  write_file(dir / "mx.crt", cert->certificate_pem, 0644);
  write_file(dir / "mx.key", cert->private_key_pem, 0600);
  const std::string salt(16, 's');  // cost 4: a fast hash, the same check
  auto hash = crypto::make_bcrypt_hash("foobar", ByteView(std::string_view(salt)), 4);
  BOOST_TEST_REQUIRE(hash.ok());
  write_file(dir / "credentials", "mailuser " + *hash + "\n", 0600);
  {
    RelayDaemon daemon(dir, "pki mx cert \"" + (dir / "mx.crt").string() + "\"\n"
                            "pki mx key \"" + (dir / "mx.key").string() + "\"\n"
                            "table credentials file:" + (dir / "credentials").string() + "\n"
                            "listen on 127.0.0.1 port " + std::to_string(kPort) +
                            " tls pki mx hostname mx.relay-e2e.test auth <credentials>\n"
                            "action \"local\" maildir \"" + (dir / "Maildir").string() + "\"\n"
                            "match from any for domain \"example.org\" action \"local\"\n");
    std::string why;
    BOOST_TEST_REQUIRE(daemon.start(&why), why);

    // 12 wrong passwords from 127.0.0.1, one session each, then the right one.
    std::vector<std::string> guesser{"/usr/bin/python3", "-c", kGuesser, "127.0.0.1"};
    for (int i = 0; i < 12; ++i) guesser.push_back("wrong" + std::to_string(i));
    guesser.push_back("foobar");
    ProcessResult guessed = run_process(guesser);
    const std::vector<std::string> codes = lines_of(guessed.out);
    BOOST_TEST_REQUIRE(codes.size() == 13u, guessed.describe());
    for (int i = 0; i < 5; ++i) BOOST_TEST(codes[i] == "535", i << ": " << guessed.out);
    for (int i = 5; i < 13; ++i) BOOST_TEST(codes[i] == "450", i << ": " << guessed.out);

    // The real user, from another address, is not locked out.
    ProcessResult user = run_process({"/usr/bin/python3", "-c", kGuesser, "127.0.0.2", "foobar"});
    BOOST_TEST(user.out == "235\n", user.describe());

    // One line per failure and per refusal, each naming the address.
    const std::string log = daemon.log();
    BOOST_TEST(count_of(log, "AUTH failed from 127.0.0.1 port ") == 5u, log);
    BOOST_TEST(count_of(log, "AUTH refused from 127.0.0.1: too many failures") == 8u, log);
  }
}

BOOST_AUTO_TEST_SUITE_END()
