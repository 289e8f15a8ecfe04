// Abuse, end to end through tetherd: open-relay attempts, the public SMTP
// smuggling end-of-data variants, oversized lines, commands and messages,
// too many recipients. Each case talks raw bytes (SmtpWire) to a tetherd in
// a namespace of its own; what matters is the reply code the client sees
// and what ends up, or does not, in the maildir.
//
// Idle and slowloris timeouts are not configurable in smtpd.conf (OpenSMTPD
// has no such keywords either) and tether's defaults are 5 and 30 minutes,
// so they are tested in timeout_test.cc on MailRelay over the Linux Host
// with short timeouts, and sans-IO in tests/smtp/server_session_test.cc.

#include <boost/test/unit_test.hpp>

#include "support/network_namespace.h"
#include "relay_e2e/relay_lab.h"
#include "relay_e2e/smtp_wire.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::relay_e2e;

namespace {

constexpr std::uint16_t kPort = 2525;

// One tetherd for the whole suite: a maildir for example.org, nothing
// else routed; limits low enough to reach cheaply.
struct AbuseLab {
  TestDirectory dir{"relay-e2e-abuse"};
  std::unique_ptr<NetworkNamespace> ns;
  std::unique_ptr<RelayDaemon> daemon;
  std::filesystem::path maildir = dir / "Maildir";

  AbuseLab() {
    auto created = NetworkNamespace::create_and_enter("relayabuse");
    BOOST_TEST_REQUIRE(created.ok(), (created.ok() ? "" : created.error().to_string()));
    ns = std::move(*created);
    daemon = std::make_unique<RelayDaemon>(
        dir, "smtp max-message-size 64K\n"
             "smtp limit max-rcpt 5\n"
             "listen on 127.0.0.1 port " + std::to_string(kPort) + " hostname mx.relay-e2e.test\n"
             "action \"local\" maildir \"" + maildir.string() + "\"\n"
             "match from any for domain \"example.org\" action \"local\"\n");
    std::string why;
    BOOST_TEST_REQUIRE(daemon->start(&why), why);
  }
  ~AbuseLab() {
    daemon.reset();  // before the namespace goes
    ns.reset();
  }

  // Connected, greeted and EHLO'd.
  SmtpWire session() {
    std::string error;
    auto wire = SmtpWire::connect(kPort, Duration::seconds(5), &error);
    BOOST_TEST_REQUIRE(wire.has_value(), error);
    WireReply greeting = wire->read_reply();
    BOOST_TEST_REQUIRE(greeting.code == 220, greeting.describe());
    WireReply ehlo = wire->command("EHLO client.relay-e2e.test");
    BOOST_TEST_REQUIRE(ehlo.code == 250, ehlo.describe());
    return std::move(*wire);
  }

  // Everything accepted so far has left the queue for the maildir.
  std::map<std::string, int> delivered() {
    BOOST_TEST(daemon->wait_queue_empty(Duration::seconds(20)), daemon->log());
    return message_ids_in(maildir);
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_abuse, *boost::unit_test::precondition(needs_root_and_tetherd))

BOOST_AUTO_TEST_CASE(open_relay_attempts_are_refused) {
  AbuseLab lab;
  struct Case {
    std::string rcpt;
    int code;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"victim@example.com", 550, "a domain nothing routes"},
      {"victim@EXAMPLE.COM", 550, "the same in capitals"},
      {"victim%example.com@example.org", 553, "percent hack"},
      {"@example.org:victim@example.com", 553, "source route"},
      {"@a.example,@example.org:victim@example.com", 553, "source route, two hops"},
      {"\"victim@example.com\"@example.org", 553, "quoted local part with @"},
      {"\"victim%example.com\"@example.org", 553, "quoted local part with %"},
      {"example.com!victim@example.org", 553, "bang path"},
      {"victim@example.com@example.org", 553, "two domains"},
  };
  for (const Case& c : cases) {
    SmtpWire s = lab.session();
    BOOST_TEST_REQUIRE(s.command("MAIL FROM:<spammer@example.net>").code == 250);
    WireReply r = s.command("RCPT TO:<" + c.rcpt + ">");
    BOOST_TEST(r.code == c.code, c.what << ": RCPT TO:<" << c.rcpt << "> got " << r.describe());
    BOOST_TEST_MESSAGE("abuse: RCPT TO:<" << c.rcpt << "> (" << c.what << "): " << r.text.substr(0, r.text.size() - 2));
    // With no recipient accepted there is no transaction.
    WireReply data = s.command("DATA");
    BOOST_TEST(data.code == 503, c.what << ": DATA got " << data.describe());
  }
  // The relay still takes mail for its own domain.
  SmtpWire s = lab.session();
  BOOST_TEST(s.command("MAIL FROM:<friend@example.net>").code == 250);
  BOOST_TEST(s.command("RCPT TO:<root@example.org>").code == 250);
  BOOST_TEST(lab.delivered().empty());
}

BOOST_AUTO_TEST_CASE(smuggling_end_of_data_variants_never_make_a_second_message) {
  AbuseLab lab;
  struct Variant {
    std::string fake_end;  // what the attacker's outbound server takes for an end of data
    const char* name;
  };
  const std::vector<Variant> variants = {
      {"\n.\n", "LF.LF"},
      {"\n.\r\n", "LF.CRLF"},
      {"\r.\r", "CR.CR"},
      {"\r.\r\n", "CR.CRLF"},
      {"\r\n.\r", "CRLF.CR"},
      {"\r\n.\n", "CRLF.LF"},
      {std::string("\r\n\0.\r\n", 6), "CRLF NUL.CRLF"},
      {std::string("\r\n.\0\r\n", 6), "CRLF.NUL CRLF"},
  };
  int n = 0;
  for (const Variant& v : variants) {
    ++n;
    const std::string outer = "<smuggle-" + std::to_string(n) + "-outer@relay-e2e.test>";
    const std::string inner = "<smuggle-" + std::to_string(n) + "-inner@relay-e2e.test>";
    SmtpWire s = lab.session();
    BOOST_TEST_REQUIRE(s.command("MAIL FROM:<attacker@example.net>").code == 250);
    BOOST_TEST_REQUIRE(s.command("RCPT TO:<root@example.org>").code == 250);
    BOOST_TEST_REQUIRE(s.command("DATA").code == 354);
    // All in one write, as the attacker's server would pass it on.
    const std::string payload = "Message-ID: " + outer + "\r\nSubject: outer\r\n\r\nhello" + v.fake_end +
                                "MAIL FROM:<admin@example.org>\r\nRCPT TO:<root@example.org>\r\nDATA\r\n"
                                "Message-ID: " + inner + "\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n";
    BOOST_TEST_REQUIRE(s.send(payload));
    WireReply end = s.read_reply();
    // The fake end is message text, the whole thing one message, which the
    // bare CR/LF (or NUL) then gets refused.
    BOOST_TEST(end.code == 550, v.name << ": " << end.describe());
    BOOST_TEST_MESSAGE("abuse: smuggling " << v.name << ": " << end.text.substr(0, end.text.size() - 2));
    // Nothing more comes: no reply to a second MAIL, RCPT or DATA.
    WireReply more = s.read_reply(Duration::milliseconds(300));
    BOOST_TEST(!more.ok(), v.name << ": a second reply " << more.describe());
  }
  {
    // Bare LF in the middle of an otherwise ordinary message.
    SmtpWire s = lab.session();
    BOOST_TEST_REQUIRE(s.command("MAIL FROM:<someone@example.net>").code == 250);
    BOOST_TEST_REQUIRE(s.command("RCPT TO:<root@example.org>").code == 250);
    BOOST_TEST_REQUIRE(s.command("DATA").code == 354);
    BOOST_TEST_REQUIRE(s.send("Message-ID: <bare-lf@relay-e2e.test>\r\n\r\nfirst\nsecond\r\n.\r\n"));
    WireReply end = s.read_reply();
    BOOST_TEST(end.code == 550, "bare LF: " << end.describe());
    BOOST_TEST_MESSAGE("abuse: bare LF mid-body: " << end.text.substr(0, end.text.size() - 2));
  }
  {
    // The real end of data with a second transaction behind it in the same
    // write: pipelining is not offered, so neither message is kept.
    SmtpWire s = lab.session();
    BOOST_TEST_REQUIRE(s.command("MAIL FROM:<attacker@example.net>").code == 250);
    BOOST_TEST_REQUIRE(s.command("RCPT TO:<root@example.org>").code == 250);
    BOOST_TEST_REQUIRE(s.command("DATA").code == 354);
    BOOST_TEST_REQUIRE(s.send("Message-ID: <pipelined-outer@relay-e2e.test>\r\n\r\nhello\r\n.\r\n"
                              "MAIL FROM:<admin@example.org>\r\nRCPT TO:<root@example.org>\r\nDATA\r\n"
                              "Message-ID: <pipelined-inner@relay-e2e.test>\r\n\r\nsmuggled\r\n.\r\n"));
    WireReply end = s.read_reply();
    BOOST_TEST(end.code == 500, "pipelined after the end of data: " << end.describe());
    BOOST_TEST(s.closed_by_peer(Duration::seconds(5)));
    BOOST_TEST_MESSAGE("abuse: transaction pipelined after CRLF.CRLF: " << end.text.substr(0, end.text.size() - 2));
  }
  // A plain message afterwards is delivered: the relay is fine, and the
  // only Message-ID in the maildir is its.
  SmtpWire s = lab.session();
  BOOST_TEST_REQUIRE(s.command("MAIL FROM:<friend@example.net>").code == 250);
  BOOST_TEST_REQUIRE(s.command("RCPT TO:<root@example.org>").code == 250);
  BOOST_TEST_REQUIRE(s.command("DATA").code == 354);
  BOOST_TEST(s.command("Message-ID: <after@relay-e2e.test>\r\n\r\nordinary\r\n.").code == 250);
  std::map<std::string, int> delivered = lab.delivered();
  BOOST_TEST(delivered.size() == 1u);
  BOOST_TEST(delivered["<after@relay-e2e.test>"] == 1);
  BOOST_TEST(count_files(lab.maildir / "new") == 1u);
}

BOOST_AUTO_TEST_CASE(oversized_lines_and_messages_and_too_many_recipients) {
  AbuseLab lab;
  {
    // A command line over RFC 5321's 512 octets: refused, the session goes on.
    SmtpWire s = lab.session();
    WireReply r = s.command("NOOP " + std::string(600, 'x'));
    BOOST_TEST(r.code == 500, r.describe());
    BOOST_TEST_MESSAGE("abuse: 605-octet command: " << r.text.substr(0, r.text.size() - 2));
    BOOST_TEST(s.command("NOOP").code == 250);
    // A path over 256 octets.
    WireReply path = s.command("MAIL FROM:<" + std::string(250, 'a') + "@example.net>");
    BOOST_TEST(path.code == 501, path.describe());
  }
  {
    // A line of 65535 octets without its end: refused and the session closed
    // (OpenSMTPD's bound), memory stays bounded.
    SmtpWire s = lab.session();
    BOOST_TEST_REQUIRE(s.send("NOOP " + std::string(70000, 'x')));
    WireReply r = s.read_reply();
    BOOST_TEST(r.code == 500, r.describe());
    BOOST_TEST(s.closed_by_peer(Duration::seconds(5)));
    BOOST_TEST_MESSAGE("abuse: 70000 octets without CRLF: " << r.text.substr(0, r.text.size() - 2) << ", closed");
  }
  {
    // SIZE= over `smtp max-message-size 64K`: refused at MAIL.
    SmtpWire s = lab.session();
    WireReply r = s.command("MAIL FROM:<big@example.net> SIZE=100000");
    BOOST_TEST(r.code == 552, r.describe());
    BOOST_TEST_MESSAGE("abuse: SIZE=100000 over 64K: " << r.text.substr(0, r.text.size() - 2));
  }
  {
    // A message over the limit without SIZE=: read to its end, then refused.
    SmtpWire s = lab.session();
    BOOST_TEST_REQUIRE(s.command("MAIL FROM:<big@example.net>").code == 250);
    BOOST_TEST_REQUIRE(s.command("RCPT TO:<root@example.org>").code == 250);
    BOOST_TEST_REQUIRE(s.command("DATA").code == 354);
    std::string body = "Message-ID: <too-big@relay-e2e.test>\r\n\r\n";
    while (body.size() < 100 * 1024) body += std::string(76, 'y') + "\r\n";
    WireReply r = s.command(body + ".");
    BOOST_TEST(r.code == 552, r.describe());
    BOOST_TEST_MESSAGE("abuse: 100 KB message over 64K: " << r.text.substr(0, r.text.size() - 2));
    // The session survives it.
    BOOST_TEST(s.command("RSET").code == 250);
  }
  {
    // A text line over 1000 octets: the message is refused at its end.
    SmtpWire s = lab.session();
    BOOST_TEST_REQUIRE(s.command("MAIL FROM:<long@example.net>").code == 250);
    BOOST_TEST_REQUIRE(s.command("RCPT TO:<root@example.org>").code == 250);
    BOOST_TEST_REQUIRE(s.command("DATA").code == 354);
    WireReply r = s.command("Message-ID: <long-line@relay-e2e.test>\r\n\r\n" + std::string(1200, 'z') + "\r\n.");
    BOOST_TEST(r.code == 500, r.describe());
    BOOST_TEST_MESSAGE("abuse: 1200-octet text line: " << r.text.substr(0, r.text.size() - 2));
  }
  {
    // `smtp limit max-rcpt 5`: the sixth recipient is deferred with 452, the
    // five accepted get the message.
    SmtpWire s = lab.session();
    BOOST_TEST_REQUIRE(s.command("MAIL FROM:<many@example.net>").code == 250);
    for (int i = 1; i <= 5; ++i) {
      WireReply r = s.command("RCPT TO:<root+" + std::to_string(i) + "@example.org>");
      BOOST_TEST(r.code == 250, i << ": " << r.describe());
    }
    WireReply sixth = s.command("RCPT TO:<root+6@example.org>");
    BOOST_TEST(sixth.code == 452, sixth.describe());
    BOOST_TEST_MESSAGE("abuse: sixth RCPT over max-rcpt 5: " << sixth.text.substr(0, sixth.text.size() - 2));
    BOOST_TEST_REQUIRE(s.command("DATA").code == 354);
    BOOST_TEST(s.command("Message-ID: <five@relay-e2e.test>\r\n\r\nfive recipients\r\n.").code == 250);
  }
  std::map<std::string, int> delivered = lab.delivered();
  BOOST_TEST(delivered.size() == 1u);
  BOOST_TEST(delivered["<five@relay-e2e.test>"] == 5);
  BOOST_TEST(!has(lab.daemon->log(), "too-big"));
}

BOOST_AUTO_TEST_SUITE_END()
