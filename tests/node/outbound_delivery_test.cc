// node::OutboundDelivery's failure handling, on the manual clock with the
// ManualHost DNS table (issue 9: none of it had a test): what an MX lookup's
// NXDOMAIN, SERVFAIL and null MX make of the recipients, every address of
// an exchanger tried in turn, and penalised routes tried last.

#include "node/outbound_delivery.h"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/tls.h"
#include "smtp/config_parser.h"
#include "node/scripted_smtp_server.h"
#include "support/manual_host.h"

using namespace tether;
using namespace tether::testing;
using smtp::DeliveryStatus;

namespace {

const IpAddress kRelay = *IpAddress::parse("203.0.113.10");
const IpAddress kFirst = *IpAddress::parse("192.0.2.10");
const IpAddress kSecond = *IpAddress::parse("192.0.2.11");
const IpAddress kSixth = *IpAddress::parse("2001:db8::10");

DnsAnswer addresses(std::vector<IpAddress> list) {
  DnsAnswer answer;
  answer.addresses = std::move(list);
  return answer;
}

DnsAnswer mx(std::vector<MxRecord> records) {
  DnsAnswer answer;
  answer.mx = std::move(records);
  return answer;
}

struct World {
  ManualWorld world;
  ManualHost relay{world, options("relay.example.net", {kRelay})};
  // Owns the exchangers' addresses; nothing listens unless a test says so,
  // so a connection there is refused.
  ManualHost exchangers{world, options("mx.example.org", {kFirst, kSecond, kSixth})};
  smtp::Config config;
  smtp::RoutePenalties penalties;
  std::optional<node::RelayAttemptOutcome> outcome;
  std::unique_ptr<node::OutboundDelivery> delivery;
  Duration route_delay = Duration::zero();
  Time started;

  World() {
    world.set_latency(Duration::milliseconds(5));
    auto loaded = smtp::load_config("action \"out\" relay\nmatch from any for any action \"out\"\n", "relay.conf");
    BOOST_TEST_REQUIRE(loaded.ok(), (loaded.ok() ? "" : loaded.error().to_string()));
    config = std::move(*loaded);
  }

  static ManualHostOptions options(const std::string& name, std::vector<IpAddress> list) {
    ManualHostOptions o;
    o.hostname = name;
    o.addresses = std::move(list);
    return o;
  }

  // One attempt for two recipients at example.org, run to its outcome.
  const node::RelayAttemptOutcome& deliver() {
    node::OutboundDeliveryContext context;
    context.host = &relay;
    context.config = &config;
    context.penalties = &penalties;
    context.log = relay.logger();
    context.hostname = "relay.example.net";
    context.route_delay = route_delay;
    // Opportunistic STARTTLS needs a client context, even for servers (as
    // here) that do not offer STARTTLS.
    auto tls = crypto::TlsContext::create(crypto::TlsRole::client);
    BOOST_TEST_REQUIRE(tls.ok());
    context.tls_context = std::make_shared<const crypto::TlsContext>(std::move(*tls));
    node::RelayAttempt attempt;
    attempt.destination = "example.org";
    attempt.domain = "example.org";
    attempt.action = config.find_action("out");
    attempt.transaction.mail_from = "sender@example.net";
    attempt.transaction.recipients = {smtp::ClientRecipient{"a@example.org", "", ""},
                                      smtp::ClientRecipient{"b@example.org", "", ""}};
    const std::string message = "Subject: test\r\n\r\nhello\r\n";
    attempt.transaction.message = Bytes(message.begin(), message.end());
    attempt.envelopes = {1, 2};
    delivery = std::make_unique<node::OutboundDelivery>(
        context, std::move(attempt),
        [this](node::OutboundDelivery&, node::RelayAttemptOutcome o) { outcome = std::move(o); });
    started = world.now();
    delivery->start();
    BOOST_TEST_REQUIRE(world.run_until([this] { return outcome.has_value(); }, Duration::minutes(10)));
    return *outcome;
  }
};

void check_all(const node::RelayAttemptOutcome& outcome, DeliveryStatus status, const std::string& reply_part) {
  BOOST_TEST_REQUIRE(outcome.results.size() == 2u);
  for (const smtp::RecipientResult& r : outcome.results) {
    BOOST_TEST((r.status == status), r.address << ": " << r.reply);
    BOOST_TEST(r.reply.find(reply_part) != std::string::npos, r.address << ": " << r.reply);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_delivery)

BOOST_AUTO_TEST_CASE(an_mx_nxdomain_fails_every_recipient_permanently_with_5_1_2) {
  World w;
  w.relay.set_dns("example.org", DnsRecordType::mx, Error(ErrorCode::dns_nxdomain, "NXDOMAIN"));
  const auto& outcome = w.deliver();
  check_all(outcome, DeliveryStatus::permanent, "550 5.1.2 Domain does not exist: example.org");
  BOOST_TEST(outcome.servers_tried == 0);
}

BOOST_AUTO_TEST_CASE(an_mx_servfail_is_a_temporary_failure) {
  World w;
  w.relay.set_dns("example.org", DnsRecordType::mx, Error(ErrorCode::dns_temporary, "SERVFAIL"));
  const auto& outcome = w.deliver();
  check_all(outcome, DeliveryStatus::temporary, "Temporary failure in MX lookup for example.org");
  BOOST_TEST(outcome.servers_tried == 0);
}

BOOST_AUTO_TEST_CASE(a_null_mx_refuses_the_mail_permanently) {
  World w;
  w.relay.set_dns("example.org", DnsRecordType::mx, mx({MxRecord{0, "."}}));
  const auto& outcome = w.deliver();
  check_all(outcome, DeliveryStatus::permanent, "550 5.1.2 Domain does not accept mail (null MX)");
  BOOST_TEST(outcome.servers_tried == 0);
}

BOOST_AUTO_TEST_CASE(every_address_of_an_exchanger_is_tried_a_records_first) {
  World w;
  w.relay.set_dns("example.org", DnsRecordType::mx, mx({MxRecord{10, "mx.example.org"}}));
  w.relay.set_dns("mx.example.org", DnsRecordType::a, addresses({kFirst, kSecond}));
  w.relay.set_dns("mx.example.org", DnsRecordType::aaaa, addresses({kSixth}));
  const auto& outcome = w.deliver();
  const std::vector<std::string> routes{"192.0.2.10:25", "192.0.2.11:25", "[2001:db8::10]:25"};
  BOOST_TEST(outcome.routes == routes, boost::test_tools::per_element());
  BOOST_TEST(outcome.servers_tried == 3);
  check_all(outcome, DeliveryStatus::temporary, "refused");
  BOOST_TEST(outcome.route == "mx.example.org [[2001:db8::10]:25]");  // the last one tried
  for (const std::string& route : routes) BOOST_TEST(!w.penalties.usable(route, w.world.now()), route);
}

BOOST_AUTO_TEST_CASE(the_next_address_takes_the_mail_when_the_first_refuses) {
  World w;
  w.relay.set_dns("example.org", DnsRecordType::mx, mx({MxRecord{10, "mx.example.org"}}));
  w.relay.set_dns("mx.example.org", DnsRecordType::a, addresses({kFirst, kSecond}));
  ScriptedSmtpServer server(w.exchangers, kSecond);
  const auto& outcome = w.deliver();
  check_all(outcome, DeliveryStatus::delivered, "");
  BOOST_TEST(server.messages == 1);
  BOOST_TEST(outcome.servers_tried == 2);
  BOOST_TEST(outcome.route == "mx.example.org [192.0.2.11:25]");
  BOOST_TEST(!w.penalties.usable("192.0.2.10:25", w.world.now()));
  BOOST_TEST(w.penalties.usable("192.0.2.11:25", w.world.now()));
}

// OpenSMTPD's conndelay_relay (mta.c, mta_connect): the next server is
// started no sooner than the route delay after the failed one was, however
// fast that one failed; without a delay (Postfix, tether) at once.
BOOST_AUTO_TEST_CASE(the_next_server_waits_for_the_route_delay_after_the_failed_one_started) {
  for (const Duration delay : {Duration::seconds(2), Duration::zero()}) {
    BOOST_TEST_CONTEXT("route delay " << format_duration(delay)) {
      World w;
      w.route_delay = delay;
      w.relay.set_dns("example.org", DnsRecordType::mx,
                      mx({MxRecord{10, "mx1.example.org"}, MxRecord{20, "mx2.example.org"}}));
      w.relay.set_dns("mx1.example.org", DnsRecordType::a, addresses({kFirst}));
      w.relay.set_dns("mx2.example.org", DnsRecordType::a, addresses({kSecond}));
      ScriptedSmtpServer server(w.exchangers, kSecond);
      const auto& outcome = w.deliver();
      check_all(outcome, DeliveryStatus::delivered, "");
      BOOST_TEST(outcome.servers_tried == 2);
      BOOST_TEST_REQUIRE(server.accepted_at.size() == 1u);
      // The lookups (MX, then A and AAAA of each exchanger: 10 ms each)
      // come first; mx1's refusal takes 10 ms, mx2's SYN 5 ms.
      const Duration lookups = Duration::milliseconds(50);
      const Duration at = server.accepted_at.front() - w.started;
      if (delay > Duration::zero())
        BOOST_TEST(at == lookups + delay + Duration::milliseconds(5), format_duration(at));
      else
        BOOST_TEST(at == lookups + Duration::milliseconds(15), format_duration(at));
    }
  }
}

BOOST_AUTO_TEST_CASE(penalised_routes_are_tried_last_in_the_order_their_penalties_end) {
  World w;
  w.relay.set_dns("example.org", DnsRecordType::mx, mx({MxRecord{10, "mx.example.org"}}));
  w.relay.set_dns("mx.example.org", DnsRecordType::a, addresses({kFirst, kSecond}));
  w.relay.set_dns("mx.example.org", DnsRecordType::aaaa, addresses({kSixth}));
  // The first address failed twice (a longer penalty), the second once.
  w.penalties.on_failure("192.0.2.10:25", w.world.now());
  w.penalties.on_failure("192.0.2.10:25", w.world.now());
  w.penalties.on_failure("192.0.2.11:25", w.world.now());
  ScriptedSmtpServer first(w.exchangers, kFirst);
  ScriptedSmtpServer second(w.exchangers, kSecond);
  ScriptedSmtpServer sixth(w.exchangers, kSixth);
  const auto& outcome = w.deliver();
  // The unpenalised IPv6 address goes first and takes the mail.
  check_all(outcome, DeliveryStatus::delivered, "");
  BOOST_TEST(outcome.servers_tried == 1);
  BOOST_TEST(sixth.messages == 1);
  BOOST_TEST(first.messages + second.messages == 0);
}

BOOST_AUTO_TEST_CASE(penalised_routes_are_still_tried_the_shortest_penalty_first) {
  World w;
  w.relay.set_dns("example.org", DnsRecordType::mx, mx({MxRecord{10, "mx.example.org"}}));
  w.relay.set_dns("mx.example.org", DnsRecordType::a, addresses({kFirst, kSecond}));
  w.penalties.on_failure("192.0.2.10:25", w.world.now());
  w.penalties.on_failure("192.0.2.10:25", w.world.now());
  w.penalties.on_failure("192.0.2.11:25", w.world.now());
  ScriptedSmtpServer first(w.exchangers, kFirst);
  ScriptedSmtpServer second(w.exchangers, kSecond);
  const auto& outcome = w.deliver();
  // Every route penalised: never skipped, the one whose penalty ends first
  // (the second address, one failure) is tried first.
  check_all(outcome, DeliveryStatus::delivered, "");
  BOOST_TEST(outcome.servers_tried == 1);
  BOOST_TEST(second.messages == 1);
  BOOST_TEST(first.messages == 0);
}

BOOST_AUTO_TEST_SUITE_END()
