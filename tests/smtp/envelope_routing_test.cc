// Where envelopes go: the delivery type and destination of an action, the
// envelope of an accepted recipient, an alias target routed again, and the
// reports' texts the relay logs and reports as events.

#include <boost/test/unit_test.hpp>

#include "smtp/bounce.h"
#include "smtp/config_parser.h"
#include "smtp/envelope_routing.h"

using namespace tether;
using namespace tether::smtp;

namespace {

const char kConfig[] =
    "queue ttl 2d\n"
    "action \"local_mail\" maildir\n"
    "action \"by_mx\" relay\n"
    "action \"smarthost\" relay host smtp://Smart.Example.NET:587 ttl 6h\n"
    "match from local for local action \"local_mail\"\n"
    "match from any for any action \"by_mx\"\n";

Config config() {
  auto c = load_config(kConfig, "smtpd.conf");
  BOOST_TEST_REQUIRE(c.ok(), (c.ok() ? std::string() : c.error().message));
  return std::move(*c);
}

MessageToCommit completed(const std::string& rcpt, const std::string& action) {
  MessageToCommit m;
  m.envelope.mail_from = "alice@example.net";
  m.envelope.helo = "client.example.net";
  m.envelope.hostname = "relay.example.org";
  m.envelope.remote = Endpoint(*IpAddress::parse("2001:db8::7"), 40000);
  m.envelope.ret = DsnReturn::headers;
  m.envelope.envid = "QQ314159";
  m.envelope.auth_user = "alice";
  AcceptedRecipient r;
  r.address = rcpt;
  r.action = action;
  r.notify = dsn_notify_failure | dsn_notify_delay;
  r.orcpt = "rfc822;" + rcpt;
  m.envelope.recipients.push_back(r);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(envelope_routing)

BOOST_AUTO_TEST_CASE(delivery_type_and_destination_follow_the_action) {
  const Config c = config();
  const Action& local = *c.find_action("local_mail");
  const Action& mx = *c.find_action("by_mx");
  const Action& smart = *c.find_action("smarthost");
  BOOST_TEST((delivery_type_for(local) == DeliveryType::mda));
  BOOST_TEST((delivery_type_for(mx) == DeliveryType::mta));
  BOOST_TEST((delivery_type_for(smart) == DeliveryType::mta));
  BOOST_TEST(destination_for(local, "Bob@Example.ORG") == "example.org");
  BOOST_TEST(destination_for(mx, "bob@Other.Example.NET") == "other.example.net");
  // Relaying through a host: the host is the destination, whatever the domain.
  BOOST_TEST(destination_for(smart, "bob@other.example.net") == "smart.example.net");
  BOOST_TEST(destination_key("MX.Example.ORG") == "mx.example.org");
}

BOOST_AUTO_TEST_CASE(an_accepted_recipient_becomes_an_envelope) {
  const Config c = config();
  const WallTime now = WallTime::from_unix_seconds(1'767'225'600);
  const MessageToCommit m = completed("bob@Other.Example.NET", "smarthost");
  const Envelope e = envelope_for(c, m, m.envelope.recipients.front(), now);
  BOOST_TEST((e.type == DeliveryType::mta));
  BOOST_TEST((e.family == SourceFamily::inet6));
  BOOST_TEST(e.source == "2001:db8::7");
  BOOST_TEST(e.helo == "client.example.net");
  BOOST_TEST(e.hostname == "relay.example.org");
  BOOST_TEST(e.sender == "alice@example.net");
  BOOST_TEST(e.rcpt == "bob@Other.Example.NET");
  BOOST_TEST(e.dest == "bob@Other.Example.NET");
  BOOST_TEST(e.destination == "smart.example.net");
  BOOST_TEST(e.action == "smarthost");
  BOOST_TEST((e.creation == now));
  BOOST_TEST((e.expire == now + Duration::hours(6)));  // the action's ttl
  BOOST_TEST(e.authenticated);
  BOOST_TEST(e.dsn_notify == unsigned(dsn_notify_failure | dsn_notify_delay));
  BOOST_TEST((e.dsn_ret == DsnReturn::headers));
  BOOST_TEST(e.dsn_envid == "QQ314159");
  BOOST_TEST(e.dsn_orcpt == "rfc822;bob@Other.Example.NET");
}

BOOST_AUTO_TEST_CASE(an_action_gone_from_the_config_gives_a_local_envelope_with_the_queue_ttl) {
  const Config c = config();
  const WallTime now = WallTime::from_unix_seconds(1'767'225'600);
  const MessageToCommit m = completed("bob@Example.ORG", "renamed_since");
  const Envelope e = envelope_for(c, m, m.envelope.recipients.front(), now);
  BOOST_TEST((e.type == DeliveryType::mda));
  BOOST_TEST(e.destination == "example.org");
  BOOST_TEST((e.expire == now + Duration::days(2)));
}

BOOST_AUTO_TEST_CASE(an_alias_target_is_a_fresh_envelope_for_its_own_route) {
  const Config c = config();
  Envelope expanded;
  expanded.id = 0x1234567800000001ULL;
  expanded.type = DeliveryType::mda;
  expanded.sender = "alice@example.net";
  expanded.rcpt = "staff@example.org";
  expanded.dest = "staff";
  expanded.destination = "example.org";
  expanded.action = "local_mail";
  expanded.retry = 3;
  expanded.last_try = WallTime::from_unix_seconds(1'767'225'000);
  expanded.last_error = "451 4.3.0 busy";

  const Envelope out = retarget_envelope(expanded, *c.find_action("by_mx"), "Carol@Far.Example.COM");
  BOOST_TEST(out.id == 0u);
  BOOST_TEST(out.retry == 0u);
  BOOST_TEST((out.last_try == WallTime()));
  BOOST_TEST(out.last_error.empty());
  BOOST_TEST((out.type == DeliveryType::mta));
  BOOST_TEST(out.action == "by_mx");
  BOOST_TEST(out.dest == "Carol@Far.Example.COM");
  BOOST_TEST(out.destination == "far.example.com");
  BOOST_TEST(out.rcpt == "staff@example.org");  // what the sender wrote stays

  const Envelope home = retarget_envelope(expanded, *c.find_action("local_mail"), "Dave@Example.ORG");
  BOOST_TEST((home.type == DeliveryType::mda));
  BOOST_TEST(home.dest == "dave");  // the mailbox, not the address
  BOOST_TEST(home.destination == "example.org");
}

BOOST_AUTO_TEST_CASE(a_report_is_routed_like_mail_to_its_sender) {
  const Config c = config();
  Envelope injected;
  injected.dest = "alice@example.net";
  route_envelope(injected, *c.find_action("smarthost"), "alice@example.net");
  BOOST_TEST((injected.type == DeliveryType::mta));
  BOOST_TEST(injected.action == "smarthost");
  BOOST_TEST(injected.destination == "smart.example.net");
  BOOST_TEST(injected.dest == "alice@example.net");
}

BOOST_AUTO_TEST_CASE(report_texts_name_the_message_and_the_sender) {
  BOOST_TEST(report_injected_log(ReportKind::failure, 0x0a1b2c3d, "s@example.org", 0x4e5f6a7b) ==
             "failure report on message 0a1b2c3d queued to <s@example.org> as 4e5f6a7b");
  BOOST_TEST(report_injected_log(ReportKind::delay, 1, "", 2) == "delay report on message 00000001 queued to <> as 00000002");
  BOOST_TEST(report_injected_note(0x0a1b2c3d, "s@example.org") == "about 0a1b2c3d to <s@example.org>");
  Envelope about;
  about.id = 0x0a1b2c3d00000005ULL;
  about.sender = "s@example.org";
  BOOST_TEST(failure_report_note(about) == "failure report about 0a1b2c3d00000005 to <s@example.org>");
  BOOST_TEST(delay_warning_note(about.id) == "delay warning about 0a1b2c3d00000005");
}

BOOST_AUTO_TEST_SUITE_END()
