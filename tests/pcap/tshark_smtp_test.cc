// The SMTP and TLS events against what tshark says of the same packets.
// The segments (a real conversation of the relay's client and server cores,
// plain and with STARTTLS) are written as a raw-IP pcap file by the small
// writer below, and tshark's smtp.req.command, smtp.response.code and
// tls.record.content_type, frame by frame, must equal the dissector's
// commands, replies (tshark gives a code per line of a multi-line reply:
// one per reply here) and TLS records (content_type, or opaque_type for
// TLS 1.3's encrypted ones).
//
// The same comparison on captures of swaks against tetherd, through the
// whole timeline: peer_smtp_test.cc. The shapes compared: tshark_fields.h.

#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

#include "pcap/dissect_support.h"
#include "pcap/smtp_conversation.h"
#include "pcap/tcp_dissector.h"
#include "pcap/tcp_flow.h"
#include "pcap/tshark_fields.h"
#include "support/run_process.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;

namespace {

void put(std::string& f, std::uint32_t v, int bytes, bool big_endian) {
  for (int i = 0; i < bytes; ++i) {
    int shift = big_endian ? 8 * (bytes - 1 - i) : 8 * i;
    f += static_cast<char>((v >> shift) & 0xff);
  }
}

std::uint32_t v4(const Endpoint& e) { return e.address().v4_host_order(); }

// A pcap file (microsecond, little-endian header, LINKTYPE_RAW 101): each
// segment as an IPv4 header and a TCP header with its flags, no options.
// Checksums are left zero: tshark does not check them unless told to.
std::string raw_ip_pcap(const std::vector<Segment>& segments) {
  std::string f;
  put(f, 0xa1b2c3d4, 4, false);
  put(f, 2, 2, false);
  put(f, 4, 2, false);
  put(f, 0, 4, false);
  put(f, 0, 4, false);
  put(f, 65535, 4, false);
  put(f, 101, 4, false);
  for (const Segment& s : segments) {
    std::uint32_t length = 20 + 20 + static_cast<std::uint32_t>(s.payload.size());
    std::int64_t us = s.origin.at.unix_ns() / 1000;
    put(f, static_cast<std::uint32_t>(us / 1000000), 4, false);
    put(f, static_cast<std::uint32_t>(us % 1000000), 4, false);
    put(f, length, 4, false);
    put(f, length, 4, false);
    put(f, 0x45, 1, true);
    put(f, 0, 1, true);
    put(f, length, 2, true);
    put(f, 0, 4, true);  // id, fragment
    put(f, 64, 1, true);
    put(f, 6, 1, true);
    put(f, 0, 2, true);
    put(f, v4(s.source), 4, true);
    put(f, v4(s.destination), 4, true);
    put(f, s.source.port(), 2, true);
    put(f, s.destination.port(), 2, true);
    put(f, s.seq, 4, true);
    put(f, s.ack_flag ? s.ack : 0, 4, true);
    put(f, 5 << 4, 1, true);
    put(f, (s.fin ? 1 : 0) | (s.syn ? 2 : 0) | (s.rst ? 4 : 0) | (s.psh ? 8 : 0) | (s.ack_flag ? 16 : 0), 1, true);
    put(f, s.window, 2, true);
    put(f, 0, 4, true);  // checksum, urgent pointer
    f.append(s.payload.begin(), s.payload.end());
  }
  return f;
}

void compare_with_tshark(const ConversationOptions& options) {
  Conversation c = smtp_conversation(options);
  BOOST_REQUIRE(c.delivered);
  TcpFlow flow(*Endpoint::parse("198.51.100.7:41000"), *Endpoint::parse("192.0.2.2:25"), 1000, 2000);
  std::vector<Segment> packets = flow.connection(c.chunks);
  number(packets);
  DissectorOutput out = dissect(packets);
  BOOST_TEST(joined(out.problems) == "");

  tether::testing::TestDirectory dir("pcap-tshark");
  tether::testing::write_file(dir / "smtp.pcap", raw_ip_pcap(packets));
  std::string expected = show(smtp_frames_from_tshark((dir / "smtp.pcap").string()));
  BOOST_TEST(!expected.empty());
  BOOST_TEST(show(smtp_frames_from_events(out.events)) == expected);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tshark_smtp, *boost::unit_test::precondition(needs_tshark))

BOOST_AUTO_TEST_CASE(plain_delivery_matches_tshark) {
  ConversationOptions o;
  o.recipients = {"alice@example.com", "bob@nowhere.example"};
  compare_with_tshark(o);
}

BOOST_AUTO_TEST_CASE(starttls_delivery_matches_tshark) {
  ConversationOptions o;
  o.starttls = true;
  compare_with_tshark(o);
}

// TCP: the frames with SYN, FIN or RST and their flags, and the frames
// tshark calls retransmissions (tcp.analysis.retransmission: a repeated SYN,
// a data segment sent again), against the tcp events.
BOOST_AUTO_TEST_CASE(tcp_flags_and_retransmissions_match_tshark) {
  Conversation c = smtp_conversation({});
  TcpFlow flow(*Endpoint::parse("198.51.100.7:41000"), *Endpoint::parse("192.0.2.2:25"), 1000, 2000);
  TcpFlow unanswered(*Endpoint::parse("198.51.100.7:41001"), *Endpoint::parse("192.0.2.9:25"), 5000, 0);
  TcpFlow refused(*Endpoint::parse("198.51.100.7:41002"), *Endpoint::parse("192.0.2.2:26"), 7000, 0);
  std::vector<Segment> packets{unanswered.syn(), flow.syn()};
  packets.push_back(flow.syn());  // the client's first SYN was not answered in time
  std::vector<Segment> rest = flow.connection(c.chunks);
  rest.erase(rest.begin());  // its SYN is already in
  packets.insert(packets.end(), rest.begin(), rest.end());
  std::size_t data = 0;
  for (std::size_t i = 0; i < packets.size(); ++i)
    if (!packets[i].payload.empty() && packets[i].source == flow.client()) data = i;  // the client's last (QUIT)
  packets.insert(packets.begin() + std::ptrdiff_t(data) + 1, packets[data]);
  packets.push_back(unanswered.syn());
  packets.push_back(refused.syn());
  packets.push_back(refused.rst(false));
  number(packets, "tcp.pcap", Duration::milliseconds(300));
  DissectorOutput out = dissect(packets);

  FrameText mine;
  for (const TimelineEvent& e : of(out, "tcp")) {
    if (e.kind == "unanswered") continue;  // a conclusion, not a packet's property
    std::string& text = mine[e.packet_number];
    if (e.kind != "retransmission") text = e.tcp_flags + text;
    if (e.kind == "retransmission" || e.detail.rfind("retransmission", 0) == 0) text += " retransmission";
  }
  tether::testing::TestDirectory dir("pcap-tshark");
  tether::testing::write_file(dir / "tcp.pcap", raw_ip_pcap(packets));
  FrameText theirs;
  for (const auto& row : tshark_rows((dir / "tcp.pcap").string(), {},
                                     {"frame.number", "tcp.flags", "tcp.analysis.retransmission"})) {
    const std::string& flags = row[1];
    const std::string& retrans = row[2];
    unsigned f = static_cast<unsigned>(std::stoul(flags, nullptr, 16));
    Segment s;
    s.fin = f & 1;
    s.syn = f & 2;
    s.rst = f & 4;
    s.psh = f & 8;
    s.ack_flag = f & 16;
    std::string text;
    if (s.syn || s.fin || s.rst) text = tcp_flags_text(s);
    if (!retrans.empty()) text += " retransmission";
    if (!text.empty()) theirs[std::stoull(row[0])] = text;
  }
  BOOST_TEST(show(mine) == show(theirs));
  BOOST_TEST(show(mine).find("retransmission") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
