// The timeline on captures of a real SMTP client, held against tshark:
// swaks sends two letters to tetherd --relay in a network namespace of the
// test's own, over its loopback, one in clear (three recipients, the
// second refused) and one after STARTTLS; dumpcap and tether's own
// LiveCapture capture the loopback at once (two_captures.h). For each of
// the two files, the timeline's SMTP events equal tshark's
// smtp.req.command, smtp.response.code and TLS record types frame by frame
// (the shapes of tshark_fields.h, as tshark_smtp_test compares synthetic
// conversations), and the plain letter's transaction carries the envelope
// swaks sent (the recipients tetherd accepted); the two files give the
// same timeline.

#include <boost/test/unit_test.hpp>
#include <memory>
#include <sstream>

#include "interop/smtp_lab.h"
#include "pcap/dissect_support.h"
#include "pcap/frames.h"
#include "pcap/timeline.h"
#include "pcap/tshark_fields.h"
#include "pcap/two_captures.h"
#include "support/preconditions.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;
using namespace tether::testing::smtp_lab;
using tether::testing::ProcessResult;
using tether::testing::TestDirectory;

namespace {

const std::string kFrom = "alice@example.net";
// The plain letter's recipients: tetherd takes the first and the last, and
// refuses the one in between (not its domain: it relays for no one).
const std::vector<std::string> kRecipients{"root@example.org", "postmaster@example.org"};
const std::string kRefused = "someone@elsewhere.example";

boost::test_tools::assertion_result needs_swaks_tshark_and_dumpcap(boost::unit_test::test_unit_id id) {
  auto peers = needs_smtp_peers(id);
  if (!peers) return peers;
  std::string missing;
  for (const char* tool : {"tshark", "dumpcap"})
    if (!tether::testing::program_exists(tool)) missing += std::string(missing.empty() ? "" : ", ") + tool;
  return tether::testing::skip_unless(missing.empty(), "not installed: " + missing +
                                                           " (Debian package tshark, which pulls in "
                                                           "wireshark-common's dumpcap)");
}

// tetherd --relay on 127.0.0.1:25 (STARTTLS offered, its pki a self-signed
// certificate), delivering example.org to a maildir; the loopback captured.
struct SmtpPeers {
  TestDirectory dir{"tether-pcap-peers-smtp"};
  std::unique_ptr<tether::lab::LabWorld> world = smtp_world();
  std::string ns = world->namespace_of("smtp");
  // After the world, so that they end before its namespace goes.
  std::unique_ptr<TwoCaptures> captures;
  std::unique_ptr<RelayDaemon> tetherd;

  SmtpPeers() {
    // Probes go to port 9 of the loopback, where nothing listens.
    captures = std::make_unique<TwoCaptures>(
        ns, dir, TwoCapturesOptions{"lo", "tcp port 25 or udp port 9", *Endpoint::parse("127.0.0.1:9")});
    // No records: nothing listens on the namespace's resolver, so lookups
    // fail at once instead of waiting on one this namespace cannot reach.
    // clang-format off
    tetherd = std::make_unique<RelayDaemon>(
        ns, dir, "tetherd",
        write_pki(dir, "lab.example.org") +
            "listen on 127.0.0.1 port 25 tls pki lab.example.org hostname lab.example.org\n"
            "action \"local\" maildir \"" + (dir / "Maildir").string() + "\"\n"
            "match from any for domain \"example.org\" action \"local\"\n");
    // clang-format on
  }

  ProcessResult send(const std::string& tag, const std::string& to, const std::vector<std::string>& extra) {
    const auto data = dir / (tag + ".eml");
    tether::testing::write_file(data, message_data(tag), 0644);
    std::vector<std::string> args{"--helo", "client.test",       "--from",    kFrom, "--to", to,
                                  "--data", "@" + data.string(), "--timeout", "10"};
    args.insert(args.end(), extra.begin(), extra.end());
    return swaks(ns, "127.0.0.1", 25, args);
  }
};

std::vector<TimelineEvent> smtp_events(const Timeline& timeline) {
  std::vector<TimelineEvent> smtp;
  for (const TimelineEvent& e : timeline.events)
    if (e.protocol == "smtp") smtp.push_back(e);
  return smtp;
}

Timeline check_capture(const std::string& file) {
  BOOST_TEST_MESSAGE("capture " << file);
  auto timeline = build_timeline({file}, {});
  BOOST_TEST_REQUIRE(timeline.ok(), why(timeline));
  BOOST_TEST(timeline->problems.empty(), joined(timeline->problems));

  const FrameText theirs = smtp_frames_from_tshark(file);
  BOOST_TEST(show(smtp_frames_from_events(timeline->events)) == show(theirs));
  BOOST_TEST_MESSAGE("  " << theirs.size() << " SMTP/TLS frames equal tshark's");

  // The plain letter's envelope, as swaks sent it; the other letter's is
  // inside TLS. Then STARTTLS, and TLS records both ways.
  std::string envelope = "from=<" + kFrom + "> to=";
  for (std::size_t i = 0; i < kRecipients.size(); ++i) envelope += (i ? ",<" : "<") + kRecipients[i] + ">";
  std::vector<std::string> transactions;
  std::size_t starttls = 0, tls_handshakes = 0, tls_data = 0;
  for (const TimelineEvent& e : smtp_events(*timeline)) {
    if (e.kind == "transaction") transactions.push_back(e.detail);
    if (e.kind == "reply" && e.detail.rfind("to STARTTLS: 220 ", 0) == 0) ++starttls;
    tls_handshakes += e.kind == "tls-handshake";
    tls_data += e.kind == "tls-application-data";
  }
  // The size: the message unstuffed, with the CRLF swaks ends it with
  // before the final dot.
  envelope += " size=" + std::to_string(message_data("plain").size() + 2) + ": 250 ";
  BOOST_TEST_REQUIRE(transactions.size() == 1u);
  BOOST_TEST(transactions[0].rfind(envelope, 0) == 0, transactions[0]);
  BOOST_TEST(starttls == 1u);
  BOOST_TEST(tls_handshakes >= 2u);  // ClientHello, ServerHello
  BOOST_TEST(tls_data >= 2u);
  return std::move(*timeline);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peer_smtp_captures, *boost::unit_test::precondition(needs_swaks_tshark_and_dumpcap) *
                                              boost::unit_test::label("root"))

BOOST_AUTO_TEST_CASE(swaks_to_tetherd_plain_and_starttls_captured_twice_equal_tshark) {
  SmtpPeers p;
  ProcessResult plain = p.send("plain", kRecipients[0] + "," + kRefused + "," + kRecipients[1], {});
  BOOST_TEST_REQUIRE(plain.exit_code == 0, plain.describe() + p.tetherd->log());
  ProcessResult tls = p.send("starttls", kRecipients[0], {"--tls"});
  BOOST_TEST_REQUIRE(tls.exit_code == 0, tls.describe() + p.tetherd->log());
  p.captures->stop();

  const Timeline dumpcap = check_capture(p.captures->dumpcap_file());
  const Timeline ours = check_capture(p.captures->live_file());
  const std::size_t same = expect_same_events(dumpcap.events, ours.events);
  BOOST_TEST(same == ours.events.size());
  BOOST_TEST_MESSAGE("the two captures: the same " << same << " events");
}

BOOST_AUTO_TEST_SUITE_END()
