// RelayMta (mta.c): due envelopes gathered into one transaction per
// message, destination and action, run in a bounded number of outbound
// sessions; outcomes back through RelayOutcomes; what deliveries learned
// about a destination's addresses kept for "the route came back".

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "node/mail_relay.h"
#include "node/relay_mta.h"
#include "node/relay_outcomes.h"
#include "node/relay_parts.h"
#include "node/relay_reports.h"
#include "node/relay_tls.h"
#include "node/scripted_smtp_server.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;
using Kind = MailRelayEvent::Kind;

namespace {

const IpAddress kSender = *IpAddress::parse("192.0.2.1");
const IpAddress kServer = *IpAddress::parse("192.0.2.10");

const char kSenderConf[] =
    "queue retry constant 10m\n"
    "action \"local_mail\" maildir\n"
    "action \"out\" relay host smtp://[192.0.2.10]\n"
    "match from any for domain \"example.org\" action \"out\"\n";

const char kServerConf[] =
    "listen on 192.0.2.10 hostname mail.example.org no-dsn\n"
    "action \"local_mail\" maildir\n"
    "match from any for domain \"example.org\" action \"local_mail\"\n";

struct Mta {
  explicit Mta(const std::string& conf = kSenderConf) : p(conf, "mail.websteading.net", {kSender}) {
    BOOST_TEST_REQUIRE(tls.load(*p.config).ok());
  }

  // The server at kServer: a MailRelay that delivers example.org locally.
  void start_server() {
    server = std::make_unique<MailRelay>(server_host, parse_relay_config(kServerConf));
    BOOST_TEST_REQUIRE(server->start().ok());
  }
  // Hands the mta what the scheduler makes due now.
  void dispatch_due() {
    for (const smtp::SchedulerTask& t : p.scheduler.due(p.host.now())) {
      BOOST_TEST_REQUIRE((t.kind == smtp::SchedulerTask::Kind::relay));
      mta.add_due(t.id);
    }
    mta.dispatch_batch();
  }

  RelayParts p;
  RelayTlsContexts tls{p.host, {}};
  RelayOutcomes outcomes{p.context, reports};
  RelayReports reports{p.context, outcomes};
  RelayMta mta{p.context, outcomes, tls};
  ManualHost server_host{p.world, relay_host_options("mail.example.org", {kServer})};
  std::unique_ptr<MailRelay> server;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_mta)

BOOST_AUTO_TEST_CASE(one_transaction_per_message_and_destination_in_bounded_sessions) {
  Mta m;
  m.start_server();
  m.p.options.max_outbound_sessions = 1;
  m.p.queue_message("alice@example.net", {"bob@example.org", "carol@example.org"}, "out");
  m.p.queue_message("alice@example.net", {"dave@example.org"}, "out");
  m.dispatch_due();
  // Two transactions (one per message), the second waiting for the slot.
  BOOST_TEST(m.mta.sessions() == 1u);
  BOOST_TEST(m.mta.waiting() == 1u);
  const std::size_t first = m.p.count(Kind::delivery_attempt);
  BOOST_TEST((first == 1u || first == 2u), first);
  BOOST_TEST_REQUIRE(m.p.world.run_until([&] { return m.p.count(Kind::delivered) == 3u; }, Duration::seconds(30)),
                     m.p.log());
  BOOST_TEST(m.mta.sessions() == 0u);
  BOOST_TEST(m.mta.waiting() == 0u);
  BOOST_TEST(m.p.counters.attempts == 3u);
  BOOST_TEST(m.server->counters().messages_accepted == 2u);
  const MailRelayEvent* delivered = m.p.last(Kind::delivered);
  BOOST_TEST(delivered->detail.find("192.0.2.10") != std::string::npos, delivered->detail);
  const std::vector<IpAddress> addresses = m.mta.destination_addresses(delivered->destination);
  BOOST_TEST_REQUIRE(addresses.size() == 1u);
  BOOST_TEST((addresses.front() == kServer));
}

BOOST_AUTO_TEST_CASE(a_refused_connection_defers_and_the_route_coming_back_makes_it_due) {
  Mta m;  // nothing listens at kServer
  const smtp::EnvelopeId id = m.p.queue_message("alice@example.net", {"bob@example.org"}, "out").front();
  m.dispatch_due();
  BOOST_TEST_REQUIRE(m.p.world.run_until([&] { return m.p.count(Kind::temporary_failure) == 1u; }, Duration::seconds(30)),
                     m.p.log());
  BOOST_TEST(m.mta.sessions() == 0u);
  BOOST_TEST((m.p.scheduler.next_deadline() > m.p.host.now()));
  BOOST_TEST(m.mta.route_up_within({*IpPrefix::parse("198.51.100.0/24")}) == 0u);
  BOOST_TEST(m.mta.route_up_within({*IpPrefix::parse("192.0.2.0/24")}) == 1u);
  BOOST_TEST((m.p.scheduler.next_deadline() <= m.p.host.now()));
  const std::vector<smtp::SchedulerTask> due = m.p.scheduler.due(m.p.host.now());
  BOOST_TEST_REQUIRE(due.size() == 1u);
  BOOST_TEST(due.front().id == id);
}

// On the opensmtpd profile the outcomes feed the scheduler's host-status
// records (smtp/host_status.h): a refused connection makes none, a
// delivery does, and with one in place a refused connection caches the
// envelope until the next success to the domain.
BOOST_AUTO_TEST_CASE(on_the_opensmtpd_profile_outcomes_feed_the_host_status_records) {
  Mta m(std::string("profile opensmtpd\n") + kSenderConf);
  smtp::HostStatus& hoststat = m.p.scheduler.host_status();
  auto settle = [&](Kind kind, std::size_t n) {
    BOOST_TEST_REQUIRE(m.p.world.run_until([&] { return m.p.count(kind) == n; }, Duration::seconds(30)), m.p.log());
  };
  const smtp::EnvelopeId early = m.p.queue_message("alice@example.net", {"bob@example.org"}, "out").front();
  m.dispatch_due();
  settle(Kind::temporary_failure, 1);
  BOOST_TEST(!hoststat.has_record("example.org", m.p.host.now()));

  m.start_server();
  m.p.queue_message("alice@example.net", {"carol@example.org"}, "out");
  m.dispatch_due();
  settle(Kind::delivered, 1);
  BOOST_TEST(hoststat.has_record("example.org", m.p.host.now()));
  BOOST_TEST((m.p.scheduler.next_deadline() > m.p.host.now()));  // `early` was never cached: no flush

  m.server.reset();  // the server goes away
  const smtp::EnvelopeId late = m.p.queue_message("alice@example.net", {"dave@example.org"}, "out").front();
  m.dispatch_due();
  settle(Kind::temporary_failure, 2);
  BOOST_TEST(hoststat.cached("example.org", m.p.host.now()) == 1u);

  // Back: `early` is tried by hand and delivered; `late` is due at once.
  m.start_server();
  BOOST_TEST(m.p.scheduler.schedule(early, m.p.host.now()) == 1u);
  m.dispatch_due();
  settle(Kind::delivered, 2);
  const std::vector<smtp::SchedulerTask> due = m.p.scheduler.due(m.p.host.now());
  BOOST_TEST_REQUIRE(due.size() == 1u);
  BOOST_TEST(due.front().id == late);
}

BOOST_AUTO_TEST_CASE(an_envelope_whose_action_does_not_relay_is_deferred) {
  Mta m;
  const smtp::EnvelopeId id = m.p.queue_message("alice@example.net", {"bob@example.org"}, "local_mail").front();
  BOOST_TEST_REQUIRE(m.p.scheduler.due(m.p.host.now()).size() == 1u);
  m.mta.add_due(id);
  m.mta.dispatch_batch();
  BOOST_TEST(m.mta.sessions() == 0u);
  const MailRelayEvent* deferred = m.p.last(Kind::temporary_failure);
  BOOST_TEST_REQUIRE(deferred != nullptr);
  BOOST_TEST(deferred->detail == "451 4.3.0 action 'local_mail' is not a relay action in the configuration");
}

BOOST_AUTO_TEST_CASE(cancelled_transactions_report_nothing) {
  Mta m;
  m.start_server();
  m.p.queue_message("alice@example.net", {"bob@example.org"}, "out");
  m.dispatch_due();
  BOOST_TEST(m.mta.sessions() == 1u);
  m.mta.cancel_all();
  BOOST_TEST(m.mta.sessions() == 0u);
  m.p.run(Duration::seconds(30));
  BOOST_TEST(m.p.count(Kind::delivered) == 0u);
  BOOST_TEST(m.p.count(Kind::temporary_failure) == 0u);
}

// Issue 14, hole 4: the envelope leaves the queue's files the moment the
// next hop's 250 arrives, as OpenSMTPD's mta_session.c reports
// IMSG_MTA_DELIVERY_OK at the end-of-message reply (before its QUIT) and
// queue.c deletes the envelope on receiving it; not after the QUIT's 221,
// nor after a worker thread gets to the removal. A kill in between
// delivered the message twice.
BOOST_AUTO_TEST_CASE(the_next_hops_250_takes_the_envelope_out_of_the_queue_before_quit) {
  Mta m;
  ScriptedSmtpServer server(m.server_host, kServer, /*answer_quit=*/false);
  const smtp::EnvelopeId id = m.p.queue_message("alice@example.net", {"bob@example.org"}, "out").front();
  const std::filesystem::path envelope_file =
      m.p.queue.store().message_path(smtp::message_of(id)).parent_path() / smtp::format_envelope_id(id);
  BOOST_TEST_REQUIRE(std::filesystem::exists(envelope_file));
  const std::string destination = m.p.queue.store().find(id)->destination;
  m.dispatch_due();
  BOOST_TEST_REQUIRE(m.p.world.run_until([&] { return server.quit_seen; }, Duration::seconds(30)), m.p.log());
  m.p.run(Duration::seconds(5));
  BOOST_TEST(server.messages == 1);
  BOOST_TEST(m.mta.sessions() == 1u);  // still waiting for the 221
  BOOST_TEST(!std::filesystem::exists(envelope_file), "the envelope was still queued after the next hop's 250");

  // The session ends without its 221: delivered once, and nothing about a
  // removal that found the envelope gone.
  server.hang_up();
  m.p.release();
  BOOST_TEST_REQUIRE(m.p.world.run_until([&] { return m.p.count(Kind::delivered) == 1u; }, Duration::seconds(30)),
                     m.p.log());
  m.p.release();
  BOOST_TEST(m.p.count(Kind::temporary_failure) == 0u);
  BOOST_TEST(m.p.counters.delivered == 1u);
  BOOST_TEST(m.p.last(Kind::delivered)->destination == destination, m.p.log());
  BOOST_TEST(m.p.log().find("not removed") == std::string::npos, m.p.log());
  BOOST_TEST(m.p.queue.writes_in_flight() == 0u);
  BOOST_TEST(m.p.queue.store().message_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
