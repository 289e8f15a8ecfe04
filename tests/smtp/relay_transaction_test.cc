// Envelopes due for relaying: which share a transaction, and what MAIL and
// RCPT say for them (RFC 3461 parameters included).

#include <boost/test/unit_test.hpp>

#include "smtp/config_parser.h"
#include "smtp/relay_transaction.h"

using namespace tether;
using namespace tether::smtp;

namespace {

Envelope relayed(EnvelopeId id, const std::string& destination, const std::string& action) {
  Envelope e;
  e.id = id;
  e.type = DeliveryType::mta;
  e.sender = "alice@example.net";
  e.rcpt = "bob@example.org";
  e.destination = destination;
  e.action = action;
  return e;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_transaction)

BOOST_AUTO_TEST_CASE(one_transaction_per_message_destination_and_action) {
  const Envelope a = relayed(0x1111111100000001ULL, "example.org", "out");
  const Envelope same = relayed(0x1111111100000002ULL, "example.org", "out");
  const Envelope other_message = relayed(0x2222222200000001ULL, "example.org", "out");
  const Envelope other_destination = relayed(0x1111111100000003ULL, "example.net", "out");
  const Envelope other_action = relayed(0x1111111100000004ULL, "example.org", "backup");
  BOOST_TEST((relay_group_key(a) == relay_group_key(same)));
  BOOST_TEST((relay_group_key(a) != relay_group_key(other_message)));
  BOOST_TEST((relay_group_key(a) != relay_group_key(other_destination)));
  BOOST_TEST((relay_group_key(a) != relay_group_key(other_action)));
  BOOST_TEST(relay_group_key(a).msgid == 0x11111111u);
}

BOOST_AUTO_TEST_CASE(mail_from_is_the_sender_unless_the_action_rewrites_it) {
  auto c = load_config(
      "action \"plain\" relay\n"
      "action \"rewriting\" relay mail-from \"bounces@example.org\"\n"
      "match from any for any action \"plain\"\n",
      "smtpd.conf");
  BOOST_TEST_REQUIRE(c.ok());
  Envelope first = relayed(0x1111111100000001ULL, "example.org", "plain");
  first.dsn_ret = DsnReturn::full;
  first.dsn_envid = "QQ314159";
  const ClientTransaction t = relay_transaction_for(first, *c->find_action("plain"));
  BOOST_TEST(t.mail_from == "alice@example.net");
  BOOST_TEST(t.dsn_ret == "FULL");
  BOOST_TEST(t.dsn_envid == "QQ314159");
  BOOST_TEST(t.recipients.empty());
  BOOST_TEST(t.message.empty());
  BOOST_TEST(relay_transaction_for(first, *c->find_action("rewriting")).mail_from == "bounces@example.org");
}

BOOST_AUTO_TEST_CASE(rcpt_is_the_dest_after_aliases_with_its_dsn_parameters) {
  Envelope e = relayed(0x1111111100000001ULL, "example.org", "out");
  e.dsn_notify = dsn_notify_success | dsn_notify_failure;
  e.dsn_orcpt = "rfc822;bob@example.org";
  BOOST_TEST(relay_recipient_for(e).address == "bob@example.org");  // no dest: the rcpt
  e.dest = "robert@example.org";
  const ClientRecipient r = relay_recipient_for(e);
  BOOST_TEST(r.address == "robert@example.org");
  BOOST_TEST(r.dsn_notify == "SUCCESS,FAILURE");
  BOOST_TEST(r.dsn_orcpt == "rfc822;bob@example.org");
}

BOOST_AUTO_TEST_CASE(dsn_parameters_are_spelled_as_rfc_3461_sends_them) {
  BOOST_TEST(dsn_notify_text(dsn_notify_none) == "");
  BOOST_TEST(dsn_notify_text(dsn_notify_never) == "NEVER");
  BOOST_TEST(dsn_notify_text(dsn_notify_never | dsn_notify_failure) == "NEVER");
  BOOST_TEST(dsn_notify_text(dsn_notify_delay | dsn_notify_success) == "SUCCESS,DELAY");
  BOOST_TEST(dsn_notify_text(dsn_notify_success | dsn_notify_failure | dsn_notify_delay) == "SUCCESS,FAILURE,DELAY");
  BOOST_TEST(std::string(dsn_return_text(DsnReturn::full)) == "FULL");
  BOOST_TEST(std::string(dsn_return_text(DsnReturn::headers)) == "HDRS");
  BOOST_TEST(std::string(dsn_return_text(DsnReturn::unspecified)) == "");
}

BOOST_AUTO_TEST_SUITE_END()
