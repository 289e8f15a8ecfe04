// The relay's control (relay_control.h): the operations behind `pause`,
// `resume`, `schedule`, `remove` and `monitor`, and the smtpctl-worded
// commands over them, on a relay whose mail cannot leave.

#include <boost/test/unit_test.hpp>

#include "node/mail_relay.h"
#include "node/relay_control.h"
#include "node/relay_parts.h"
#include "node/smtp_test_client.h"
#include "support/manual_host.h"
#include "support/manual_world.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;
using Kind = MailRelayEvent::Kind;

namespace {

const IpAddress kRelay = *IpAddress::parse("192.0.2.10");
const IpAddress kClient = *IpAddress::parse("192.0.2.1");

// Relays example.org to a host that is not there: mail stays queued.
const char kConf[] =
    "queue retry constant 10m\n"
    "listen on 192.0.2.10\n"
    "action \"out\" relay host smtp://[192.0.2.99]\n"
    "match from any for domain \"example.org\" action \"out\"\n";

struct ControlWorld {
  explicit ControlWorld(const std::string& conf = kConf) : relay{relay_host, parse_relay_config(conf)} {
    world.set_latency(Duration::milliseconds(5));
    relay.subscribe([this](const MailRelayEvent& e) { events.push_back(e); });
    BOOST_TEST_REQUIRE(relay.start().ok());
  }
  ~ControlWorld() { relay.stop(); }

  // Sends one message to `rcpts`; true when the relay took it.
  bool send(const std::vector<std::string>& rcpts) {
    SmtpTestClient client(client_host, Endpoint(kRelay, 25),
                          SmtpTestClient::Mail{"alice@example.net", rcpts,
                                               make_test_message("alice@example.net", rcpts.front(), "ctl", "Hi.\n")});
    BOOST_TEST_REQUIRE(world.run_until([&] { return client.done(); }, Duration::seconds(30)));
    last_error = client.describe();
    return client.all_delivered();
  }
  std::size_t count(Kind kind) const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [&](const MailRelayEvent& e) { return e.kind == kind; }));
  }

  ManualWorld world;
  ManualHost client_host{world, relay_host_options("client.example.net", {kClient})};
  ManualHost relay_host{world, relay_host_options("relay.example.org", {kRelay})};
  MailRelay relay;
  std::vector<MailRelayEvent> events;
  std::string last_error;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_control)

BOOST_AUTO_TEST_CASE(pause_smtp_turns_clients_away_until_resumed) {
  ControlWorld w;
  BOOST_TEST(run_relay_command(w.relay, {"pause", "smtp"}).text == "command succeeded\n");
  BOOST_TEST(w.relay.smtp_paused());
  BOOST_TEST(w.count(Kind::smtp_paused) == 1u);
  BOOST_TEST(!w.send({"bob@example.org"}));
  BOOST_TEST(w.last_error.find("421") != std::string::npos, w.last_error);
  BOOST_TEST(w.relay.counters().messages_accepted == 0u);
  BOOST_TEST(run_relay_command(w.relay, {"pause", "smtp"}).ok);  // again: nothing changes
  BOOST_TEST(w.count(Kind::smtp_paused) == 1u);
  BOOST_TEST(run_relay_command(w.relay, {"resume", "smtp"}).text == "command succeeded\n");
  BOOST_TEST(w.count(Kind::smtp_resumed) == 1u);
  BOOST_TEST(w.send({"bob@example.org"}), w.last_error);
  BOOST_TEST(w.relay.counters().messages_accepted == 1u);
  // Both connections count for `monitor`, the one turned away too.
  const smtp::MonitorDigest digest = w.relay.monitor_digest();
  BOOST_TEST(digest.clt_connect == 2u);
}

// OpenSMTPD's smtp_pause() stops accepting: a client's connection completes
// in the kernel's queue and it waits, with no greeting and no refusal, until
// smtp resumes; then the relay takes the connection and the mail.
BOOST_AUTO_TEST_CASE(pause_smtp_on_the_opensmtpd_profile_leaves_clients_waiting_for_the_greeting) {
  ControlWorld w(std::string("profile opensmtpd\n") + kConf);
  BOOST_TEST_REQUIRE(w.relay.pause_smtp().ok());
  SmtpTestClient client(
      w.client_host, Endpoint(kRelay, 25),
      SmtpTestClient::Mail{"alice@example.net",
                           {"bob@example.org"},
                           make_test_message("alice@example.net", "bob@example.org", "ctl", "Hi.\n")});
  w.world.run_until([] { return false; }, Duration::minutes(2));
  BOOST_TEST(!client.done(), client.describe());
  BOOST_TEST(w.relay.monitor_digest().clt_connect == 0u);  // the relay never saw it
  BOOST_TEST_REQUIRE(w.relay.resume_smtp().ok());
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return client.done(); }, Duration::seconds(30)));
  BOOST_TEST(client.all_delivered(), client.describe());
  BOOST_TEST(w.relay.counters().messages_accepted == 1u);
}

BOOST_AUTO_TEST_CASE(schedule_and_remove_count_envelopes_by_message_or_envelope_id) {
  ControlWorld w;
  BOOST_TEST_REQUIRE(w.send({"bob@example.org", "carol@example.org"}), w.last_error);
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.count(Kind::temporary_failure) == 2u; }, Duration::minutes(5)));
  const smtp::QueueStore& queue = *w.relay.queue();
  BOOST_TEST_REQUIRE(queue.envelopes().size() == 2u);
  const smtp::EnvelopeId first = queue.envelopes().begin()->first;
  const std::string msgid = smtp::format_message_id(smtp::message_of(first));
  BOOST_TEST(run_relay_command(w.relay, {"schedule", msgid}).text == "2 envelopes scheduled\n");
  BOOST_TEST_REQUIRE(w.world.run_until([&] { return w.count(Kind::temporary_failure) == 4u; }, Duration::minutes(5)));
  BOOST_TEST(run_relay_command(w.relay, {"remove", smtp::format_envelope_id(first)}).text == "1 envelope removed\n");
  BOOST_TEST(w.count(Kind::removed) == 1u);
  BOOST_TEST(w.relay.remove_all() == 1u);
  BOOST_TEST(w.relay.counters().removed == 2u);
  w.world.run_for(Duration::seconds(1));
  BOOST_TEST(w.relay.queue()->envelopes().empty());
  BOOST_TEST(run_relay_command(w.relay, {"remove", "all"}).text == "0 envelopes removed\n");
  BOOST_TEST(run_relay_command(w.relay, {"remove", "zz"}).text == "invalid msgid/evpid: zz\n");
}

BOOST_AUTO_TEST_CASE(a_stopped_relay_answers_that_it_is_not_running) {
  ControlWorld w;
  w.relay.stop();
  const ControlAnswer a = run_relay_command(w.relay, {"pause", "smtp"});
  BOOST_TEST(!a.ok);
  BOOST_TEST(a.text == "the relay is not running\n");
  BOOST_TEST(!w.relay.pause_smtp().ok());
  BOOST_TEST(w.relay.remove_all() == 0u);
  BOOST_TEST(w.relay.route_up("example.org") == 0u);
  BOOST_TEST(show_queue(w.relay).empty());
}

BOOST_AUTO_TEST_SUITE_END()
