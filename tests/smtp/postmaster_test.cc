// Issue 14, hole 8: RFC 5321 4.5.1 says "RCPT TO:<Postmaster>" (no domain)
// MUST be accepted. tetherd completed it with its host name and let the
// rules refuse it whenever they served only the mail domain (a relay on a
// host called "vm", `match ... for domain "example.org"`): 550.

#include <boost/test/unit_test.hpp>

#include "smtp/config_parser.h"
#include "smtp/router.h"
#include "smtp/seed_configs.h"
#include "server_session_harness.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

std::shared_ptr<const Config> config_from_text(const std::string& text) {
  ConfigParseResult parsed = parse_config(text, "test.conf", memory_loader({}));
  BOOST_REQUIRE_MESSAGE(parsed.ok(), parsed.error_text());
  return std::make_shared<const Config>(std::move(parsed.config));
}

// A session on `config`'s first listener under `hostname`, routed by a real
// Router, with a transaction open.
struct RoutedSession {
  std::shared_ptr<const Config> config;
  Router router;
  SessionHarness h;

  RoutedSession(const std::string& text, const std::string& hostname)
      : config(config_from_text(text)), router(config, LocalIdentity{hostname, {}, {}}) {
    h.options.config = config;
    h.options.listener = config->listeners.at(0);
    h.options.hostname = hostname;
    h.route = [this](const RouteRequest& r) { return router.route(r); };
    h.start();
    h.send("EHLO c.example\r\n");
    h.send("MAIL FROM:<alice@other.example.net>\r\n");
  }

  // RCPT TO:`rcpt` accepted, and the message with it: its one recipient.
  AcceptedRecipient accepted(const std::string& rcpt) {
    BOOST_TEST(h.send("RCPT TO:" + rcpt + "\r\n") == "250 2.1.5 Recipient ok\r\n");
    h.send("DATA\r\n");
    BOOST_TEST(reply_code(h.send("x\r\n.\r\n")) == 250);
    BOOST_REQUIRE(h.committed.size() == 1u);
    return h.committed[0].envelope.recipients.at(0);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(bare_postmaster)

BOOST_AUTO_TEST_CASE(is_accepted_for_the_mail_domain_when_the_host_name_is_not_served) {
  RoutedSession s("listen on lo0\n"
                  "action \"relay_in\" relay host smtp://carinho.lan\n"
                  "match from any for domain \"example.org\" action \"relay_in\"\n",
                  "vm");
  const AcceptedRecipient r = s.accepted("<Postmaster>");
  BOOST_TEST(r.address == "Postmaster@example.org");
  BOOST_TEST(r.action == "relay_in");
}

BOOST_AUTO_TEST_CASE(goes_to_the_host_name_first_as_opensmtpd_completes_it) {
  RoutedSession s("listen on lo0\n"
                  "action \"local\" mbox\n"
                  "action \"relay_in\" relay host smtp://carinho.lan\n"
                  "match from any for local action \"local\"\n"
                  "match from any for domain \"example.org\" action \"relay_in\"\n",
                  "vm.example.net");
  const AcceptedRecipient r = s.accepted("<postmaster>");
  BOOST_TEST(r.address == "postmaster@vm.example.net");
  BOOST_TEST(r.action == "local");
}

BOOST_AUTO_TEST_CASE(skips_wildcards_regexes_and_rejecting_rules) {
  // Nothing names a domain it could be delivered in: refused as before,
  // with the host name's answer.
  RoutedSession s("table re { \"example\\\\.org$\" }\n"
                  "listen on lo0\n"
                  "action \"relay_in\" relay host smtp://carinho.lan\n"
                  "match from any for domain \"nope.example\" reject\n"
                  "match from any for domain \"*.example.org\" action \"relay_in\"\n"
                  "match from any for domain regex <re> action \"relay_in\"\n",
                  "vm");
  BOOST_TEST(s.h.send("RCPT TO:<postmaster>\r\n") == "550 5.0.0 Invalid recipient\r\n");
  BOOST_REQUIRE(!s.h.routed.empty());
  BOOST_TEST(s.h.routed.back().rcpt_to == "postmaster@vm");
}

BOOST_AUTO_TEST_SUITE_END()
