// Idle and slowloris sessions time out, over real sockets. tetherd cannot
// be given short timeouts (smtpd.conf has no keyword for them, as
// OpenSMTPD's has none, and the defaults are RFC 5321's 5 and 30 minutes),
// so this runs the code tetherd runs, MailRelay on the Linux Host, in the
// test process with ServerTimeouts of a second or two, in a namespace of
// its own. The sans-IO rules themselves are in server_session_test.cc;
// what this adds is the timer wiring through RelayInboundSession and the
// Asio timers, and the 421 and close reaching a real client.

#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "node/mail_relay.h"
#include "support/network_namespace.h"
#include "posix/posix_host.h"
#include "relay_e2e/relay_lab.h"
#include "relay_e2e/smtp_wire.h"
#include "smtp/config_parser.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::relay_e2e;

namespace {

constexpr std::uint16_t kPort = 2525;
constexpr Duration kCommandTimeout = Duration::seconds(1);
constexpr Duration kDataIdle = Duration::seconds(1);
constexpr Duration kDataTotal = Duration::milliseconds(2500);

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

boost::test_tools::assertion_result needs_root(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result result(running_as_root());
  result.message() << "SKIPPED: needs root for a network namespace of its own";
  return result;
}

// A MailRelay on a PosixHost whose loop runs in a thread of its own.
struct TimeoutLab {
  TestDirectory dir{"relay-e2e-timeout"};
  std::unique_ptr<NetworkNamespace> ns;
  std::unique_ptr<posix::PosixHost> host;
  std::unique_ptr<node::MailRelay> relay;
  std::thread loop;

  TimeoutLab() {
    auto created = NetworkNamespace::create_and_enter("relaytimeout");
    BOOST_TEST_REQUIRE(created.ok(), (created.ok() ? "" : created.error().to_string()));
    ns = std::move(*created);
    posix::PosixHostOptions ho;
    ho.storage_root = dir / "host";
    ho.hostname = "mx.relay-e2e.test";
    ho.log_threshold = LogLevel::warning;
    host = std::make_unique<posix::PosixHost>(ho);
    // No minimum DATA rate: the slowloris case is about data_total (the
    // rate is server_session_data_rate_test.cc's).
    auto parsed = smtp::parse_config("smtp min-data-rate 0\n"
                                     "listen on 127.0.0.1 port " + std::to_string(kPort) + "\n"
                                     "action \"local\" maildir \"" + (dir / "Maildir").string() + "\"\n"
                                     "match from any for domain \"example.org\" action \"local\"\n",
                                     "smtpd.conf");
    BOOST_TEST_REQUIRE(parsed.ok(), parsed.error_text());
    node::MailRelayOptions o;
    o.server_timeouts.command = kCommandTimeout;
    o.server_timeouts.data_idle = kDataIdle;
    o.server_timeouts.data_total = kDataTotal;
    relay = std::make_unique<node::MailRelay>(*host, std::make_shared<const smtp::Config>(std::move(parsed.config)), o);
    auto started = relay->start();
    BOOST_TEST_REQUIRE(started.ok(), (started.ok() ? "" : started.error().to_string()));
    // Created after the thread entered the namespace, so it is in it too.
    loop = std::thread([this] { host->run(); });
  }
  ~TimeoutLab() {
    if (loop.joinable()) {
      boost::asio::post(host->io_context(), [this] { host->stop(); });
      loop.join();
    }
    if (relay) relay->stop();
    relay.reset();
    host.reset();
    ns.reset();
  }

  SmtpWire session() {
    std::string error;
    auto wire = SmtpWire::connect(kPort, Duration::seconds(5), &error);
    BOOST_TEST_REQUIRE(wire.has_value(), error);
    BOOST_TEST_REQUIRE(wire->read_reply().code == 220);
    BOOST_TEST_REQUIRE(wire->command("EHLO client.relay-e2e.test").code == 250);
    return std::move(*wire);
  }
};

bool is_timeout(const WireReply& r) {
  return r.code == 421 && r.text.find("Timeout") != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_timeouts, *boost::unit_test::precondition(needs_root))

BOOST_AUTO_TEST_CASE(an_idle_session_gets_421_and_is_closed) {
  TimeoutLab lab;
  SmtpWire s = lab.session();
  const auto start = Clock::now();
  WireReply r = s.read_reply(Duration::seconds(10));
  const double waited = seconds_since(start);
  BOOST_TEST(is_timeout(r), r.describe());
  BOOST_TEST(waited >= kCommandTimeout.seconds_f() - 0.05, waited);
  BOOST_TEST(s.closed_by_peer(Duration::seconds(5)));
  BOOST_TEST_MESSAGE("timeout: idle after EHLO, command timeout " << kCommandTimeout.seconds_f() << " s: "
                                                                  << r.text.substr(0, r.text.size() - 2) << " after "
                                                                  << waited << " s");
}

BOOST_AUTO_TEST_CASE(a_command_trickled_a_byte_at_a_time_does_not_hold_the_session) {
  TimeoutLab lab;
  SmtpWire s = lab.session();
  const auto start = Clock::now();
  const std::string line = "MAIL FROM:<slow-sender-who-never-finishes@example.net>";
  WireReply r;
  for (std::size_t i = 0; i < line.size() && !r.ok(); ++i) {
    if (!s.send(line.substr(i, 1))) break;
    r = s.read_reply(Duration::milliseconds(250));  // a byte every 250 ms: never idle for 1 s
  }
  if (!r.ok()) r = s.read_reply(Duration::seconds(5));
  const double waited = seconds_since(start);
  BOOST_TEST(is_timeout(r), r.describe());
  BOOST_TEST(waited >= kCommandTimeout.seconds_f() - 0.05, waited);
  BOOST_TEST(waited < 5.0, waited);
  BOOST_TEST(s.closed_by_peer(Duration::seconds(5)));
  BOOST_TEST_MESSAGE("timeout: command trickled at 4 bytes/s: " << r.text.substr(0, r.text.size() - 2) << " after "
                                                                << waited << " s");
}

BOOST_AUTO_TEST_CASE(slowloris_in_data_is_cut_off_at_the_total_limit) {
  TimeoutLab lab;
  SmtpWire s = lab.session();
  BOOST_TEST_REQUIRE(s.command("MAIL FROM:<slowloris@example.net>").code == 250);
  BOOST_TEST_REQUIRE(s.command("RCPT TO:<root@example.org>").code == 250);
  BOOST_TEST_REQUIRE(s.command("DATA").code == 354);
  const auto start = Clock::now();
  // A line every 300 ms: never idle for data_idle (1 s), but never done.
  WireReply r;
  for (int i = 0; i < 40 && !r.ok(); ++i) {
    if (!s.send("x\r\n")) break;
    r = s.read_reply(Duration::milliseconds(300));
  }
  if (!r.ok()) r = s.read_reply(Duration::seconds(5));
  const double waited = seconds_since(start);
  BOOST_TEST(is_timeout(r), r.describe());
  BOOST_TEST(waited >= kDataTotal.seconds_f() - 0.05, waited);
  BOOST_TEST(waited < 8.0, waited);
  BOOST_TEST(s.closed_by_peer(Duration::seconds(5)));
  BOOST_TEST(count_files(lab.dir / "Maildir" / "new") == 0u);
  BOOST_TEST_MESSAGE("timeout: slowloris in DATA (a line every 300 ms; data idle " << kDataIdle.seconds_f()
                     << " s, total " << kDataTotal.seconds_f() << " s): " << r.text.substr(0, r.text.size() - 2)
                     << " after " << waited << " s");
}

BOOST_AUTO_TEST_SUITE_END()
