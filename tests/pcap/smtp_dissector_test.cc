// The SMTP dissector on real conversations between the relay's own client
// and server cores, plain and with STARTTLS, and on what is not SMTP.

#include "pcap/smtp_dissector.h"

#include <boost/test/unit_test.hpp>
#include <deque>
#include <string>

#include "pcap/dissect_support.h"
#include "pcap/smtp_conversation.h"
#include "pcap/tcp_flow.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;

namespace {

const Endpoint kClient = *Endpoint::parse("198.51.100.7:41000");
const Endpoint kServer = *Endpoint::parse("192.0.2.2:25");

DissectorOutput dissect_conversation(const Conversation& c, Endpoint server = kServer) {
  static std::deque<TcpFlow> flows;  // the segments' payloads live in their flow
  TcpFlow& flow = flows.emplace_back(kClient, server, 1000, 2000);
  std::vector<Segment> packets = flow.connection(c.chunks);
  number(packets);
  return dissect(packets);
}

std::vector<TimelineEvent> kinds(const DissectorOutput& out, const std::string& kind) {
  std::vector<TimelineEvent> picked;
  for (const TimelineEvent& e : of(out, "smtp"))
    if (e.kind == kind) picked.push_back(e);
  return picked;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(smtp_dissector)

BOOST_AUTO_TEST_CASE(a_plain_delivery_event_by_event) {
  ConversationOptions o;
  o.recipients = {"alice@example.com", "bob@nowhere.example", "carol@example.com"};
  o.message = "Subject: hi\r\n\r\nhello\r\n.leading dot\r\n";
  Conversation c = smtp_conversation(o);
  BOOST_REQUIRE(c.delivered);
  DissectorOutput out = dissect_conversation(c);
  BOOST_TEST(joined(out.problems) == "");
  BOOST_TEST(joined(smtp_outline(out)) ==
             "greeting 220\n"
             "command EHLO\nreply 250\n"
             "command MAIL\nreply 250\n"
             "command RCPT\nreply 250\n"
             "command RCPT\nreply 550\n"
             "command RCPT\nreply 250\n"
             "command DATA\nreply 354\n"
             "data\nreply 250\ntransaction 250\n"
             "command QUIT\nreply 221\n");
  std::vector<TimelineEvent> all = of(out, "smtp");
  BOOST_TEST(all[0].source == "192.0.2.2:25");
  BOOST_TEST(all[0].destination == "198.51.100.7:41000");
  BOOST_TEST(all[0].detail.find("220 mx.example.com") == 0u);
  BOOST_TEST(all[1].source == "198.51.100.7:41000");
  BOOST_TEST(all[1].detail == "relay.example.org");
  // The EHLO reply's lines are one event, the detail saying how many.
  BOOST_TEST(all[2].detail.find("to EHLO: 250 mx.example.com") == 0u);
  BOOST_TEST(all[2].detail.find(" lines)") != std::string::npos);
  BOOST_TEST(all[3].detail == "FROM:<jay@example.org> SIZE=" + std::to_string(o.message.size()));
  BOOST_TEST(all[8].detail.find("to RCPT: 550") == 0u);
  TimelineEvent data = kinds(out, "data").at(0);
  // What the server stored before its Received: field: the message, unstuffed.
  BOOST_TEST(data.detail.find(std::to_string(o.message.size()) + " octets") == 0u);
  TimelineEvent t = kinds(out, "transaction").at(0);
  BOOST_TEST(t.detail.find("from=<jay@example.org> to=<alice@example.com>,<carol@example.com> size=" +
                           std::to_string(o.message.size()) + ": 250") == 0u);
  BOOST_TEST(t.smtp_code.value_or(0) == 250);
  // Every event names the packet that completed it.
  for (const TimelineEvent& e : all) BOOST_TEST(e.packet_number > 3u);
}

BOOST_AUTO_TEST_CASE(starttls_then_tls_records_by_their_headers) {
  ConversationOptions o;
  o.starttls = true;
  Conversation c = smtp_conversation(o);
  BOOST_REQUIRE(c.delivered);
  DissectorOutput out = dissect_conversation(c);
  BOOST_TEST(joined(out.problems) == "");
  std::vector<std::string> outline = smtp_outline(out);
  BOOST_REQUIRE(outline.size() > 6u);
  BOOST_TEST(outline[0] == "greeting 220");
  BOOST_TEST(outline[3] == "command STARTTLS");
  BOOST_TEST(outline[4] == "reply 220");
  BOOST_TEST(outline[5] == "tls-handshake");
  std::vector<TimelineEvent> all = of(out, "smtp");
  BOOST_TEST(all[5].source == "198.51.100.7:41000");
  BOOST_TEST(all[5].detail.find(", client_hello") != std::string::npos);
  BOOST_TEST(all[6].source == "192.0.2.2:25");
  BOOST_TEST(all[6].detail.find(", server_hello") != std::string::npos);
  // After the handshake: records only, no command or reply in clear.
  for (std::size_t i = 5; i < outline.size(); ++i) BOOST_TEST(outline[i].rfind("tls-", 0) == 0u, outline[i]);
  BOOST_TEST(!kinds(out, "tls-application-data").empty());
  // The record lengths add up to the bytes after the STARTTLS reply.
  std::uint64_t wire = 0, records = 0;
  bool after = false;
  for (const Chunk& ch : c.chunks) {
    std::string text(ch.bytes.begin(), ch.bytes.end());
    if (after) wire += ch.bytes.size();
    if (!ch.from_client && text.rfind("220 ", 0) == 0 && text.find("TLS") != std::string::npos) after = true;
  }
  for (std::size_t i = 5; i < all.size(); ++i) records += 5 + std::stoul(all[i].detail.substr(7));
  BOOST_TEST(records == wire);
}

BOOST_AUTO_TEST_CASE(smtps_on_465_is_tls_from_the_first_byte) {
  ConversationOptions o;
  o.implicit_tls = true;
  Conversation c = smtp_conversation(o);
  BOOST_REQUIRE(c.delivered);
  DissectorOutput out = dissect_conversation(c, *Endpoint::parse("192.0.2.2:465"));
  BOOST_TEST(joined(out.problems) == "");
  std::vector<TimelineEvent> all = of(out, "smtp");
  BOOST_REQUIRE(all.size() > 3u);
  BOOST_TEST(all[0].kind == "tls-handshake");
  BOOST_TEST(all[0].detail.find("client_hello") != std::string::npos);
  for (const TimelineEvent& e : all) BOOST_TEST(e.kind.rfind("tls-", 0) == 0u, e.kind);
}

// Scripted by hand: what the relay's client never does (AUTH in clear,
// PIPELINING), as other clients do.
BOOST_AUTO_TEST_CASE(auth_exchange_and_pipelined_commands) {
  TcpFlow flow(kClient, *Endpoint::parse("192.0.2.2:587"), 1, 2);
  std::vector<Segment> packets{flow.syn(), flow.syn_ack(), flow.ack(true)};
  auto say = [&](bool from_client, std::string_view text) {
    for (Segment& s : flow.data(from_client, ByteView(text))) packets.push_back(s);
  };
  say(false, "220 mx ESMTP\r\n");
  say(true, "AUTH LOGIN\r\n");
  say(false, "334 VXNlcm5hbWU6\r\n");
  say(true, "dXNlcg==\r\n");
  say(false, "334 UGFzc3dvcmQ6\r\n");
  say(true, "c2VjcmV0\r\n");
  say(false, "235 2.7.0 Authentication succeeded\r\n");
  say(true, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n");
  say(false, "250 2.0.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No\r\n354 Go ahead\r\n");
  say(true, "Subject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n");
  say(false, "250 2.0.0 queued as 42\r\n221 2.0.0 Bye\r\n");
  number(packets);
  DissectorOutput out = dissect(packets);
  BOOST_TEST(joined(out.problems) == "");
  BOOST_TEST(joined(smtp_outline(out)) ==
             "greeting 220\ncommand AUTH\nreply 334\nauth-response\nreply 334\nauth-response\nreply 235\n"
             "command MAIL\ncommand RCPT\ncommand RCPT\ncommand DATA\n"
             "reply 250\nreply 250\nreply 550\nreply 354\n"
             "data\ncommand QUIT\nreply 250\ntransaction 250\nreply 221\n");
  for (const TimelineEvent& e : of(out, "smtp")) {
    BOOST_TEST(e.detail.find("dXNlcg") == std::string::npos);
    BOOST_TEST(e.detail.find("c2VjcmV0") == std::string::npos);
  }
  TimelineEvent t = kinds(out, "transaction").at(0);
  // 20 octets: "..dot" is unstuffed to ".dot".
  BOOST_TEST(t.detail == "from=<a@example.org> to=<b@example.com> size=20: 250 2.0.0 queued as 42");
  BOOST_TEST(kinds(out, "command").at(0).detail == "LOGIN");
  BOOST_TEST(kinds(out, "reply").at(7).detail == "to the end of data: 250 2.0.0 queued as 42");
}

BOOST_AUTO_TEST_CASE(found_by_its_greeting_on_another_port) {
  Conversation c = smtp_conversation({});
  DissectorOutput out = dissect_conversation(c, *Endpoint::parse("192.0.2.2:2525"));
  BOOST_TEST(joined(out.problems) == "");
  BOOST_TEST(smtp_outline(out).size() == 14u);
}

BOOST_AUTO_TEST_CASE(a_client_that_speaks_first_elsewhere_is_not_smtp) {
  TcpFlow flow(kClient, *Endpoint::parse("192.0.2.2:8080"), 1, 2);
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n", response = "220 HTTP/1.1 200 OK\r\n\r\n";
  std::vector<Segment> packets{flow.syn(), flow.syn_ack(), flow.ack(true)};
  for (Segment& s : flow.data(true, ByteView(request))) packets.push_back(s);
  for (Segment& s : flow.data(false, ByteView(response))) packets.push_back(s);
  number(packets);
  DissectorOutput out = dissect(packets);
  BOOST_TEST(of(out, "smtp").empty());
  BOOST_TEST(out.problems.empty());
}

BOOST_AUTO_TEST_CASE(garbage_on_port_25_is_reported_then_given_up) {
  TcpFlow flow(kClient, kServer, 1, 2);
  std::vector<Segment> packets{flow.syn(), flow.syn_ack(), flow.ack(true)};
  for (Segment& s : flow.data(false, ByteView(std::string_view("220 mx ESMTP\r\n")))) packets.push_back(s);
  std::string junk;
  for (int i = 0; i < 200; ++i) junk += std::string(1, char(0x80 + i % 100)) + "\x01garbage\r\n";
  for (Segment& s : flow.data(true, ByteView(junk), 100)) packets.push_back(s);
  number(packets);
  DissectorOutput out = dissect(packets);
  BOOST_TEST(kinds(out, "greeting").size() == 1u);
  BOOST_REQUIRE_EQUAL(out.problems.size(), std::size_t(kMaxGarbage) + 1);
  BOOST_TEST(out.problems[0].find("test.pcap packet 5: smtp: not an SMTP command from 198.51.100.7:41000: '??garbage'") ==
                 0u,
             out.problems[0]);
  BOOST_TEST(out.problems.back().find("the rest of this connection is not read") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_endless_line_is_skipped_with_bounded_memory) {
  TcpFlow flow(kClient, kServer, 1, 2);
  std::vector<Segment> packets{flow.syn(), flow.syn_ack(), flow.ack(true)};
  for (Segment& s : flow.data(false, ByteView(std::string_view("220 mx ESMTP\r\n")))) packets.push_back(s);
  std::string line(3 * kMaxSmtpLine, 'A');
  line += "\r\nQUIT\r\n";
  for (Segment& s : flow.data(true, ByteView(line))) packets.push_back(s);
  number(packets);
  DissectorOutput out = dissect(packets);
  BOOST_REQUIRE_EQUAL(out.problems.size(), 1u);
  BOOST_TEST(out.problems[0].find("a client line longer than 65536 bytes") != std::string::npos);
  BOOST_TEST(kinds(out, "command").size() == 1u);
  BOOST_TEST(kinds(out, "command").at(0).smtp_verb == "QUIT");
}

BOOST_AUTO_TEST_SUITE_END()
