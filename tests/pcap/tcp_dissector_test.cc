// The TCP dissector and its reassembly on segments numbered as a kernel
// numbers them (tcp_flow.h), carrying a real SMTP conversation between the
// relay's own client and server (smtp_conversation.h).

#include "pcap/tcp_dissector.h"

#include <boost/test/unit_test.hpp>
#include <string>

#include "pcap/dissect_support.h"
#include "pcap/smtp_conversation.h"
#include "pcap/tcp_flow.h"
#include "pcap/tcp_reassembly.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;

namespace {

const Endpoint kClient = *Endpoint::parse("198.51.100.7:41000");
const Endpoint kServer = *Endpoint::parse("192.0.2.2:25");

std::string reassembled(TcpReassembly& r, const std::vector<std::pair<std::uint32_t, std::string>>& segments,
                        std::vector<TcpReassembly::Verdict>* verdicts = nullptr, std::uint64_t* missing = nullptr) {
  std::string out;
  TcpReassembly::Sink sink;
  sink.data = [&](ByteView b, const Origin&) { out.append(b.begin(), b.end()); };
  sink.gap = [&](std::uint64_t n, const Origin&) {
    if (missing) *missing += n;
  };
  for (const auto& [seq, text] : segments) {
    auto v = r.add(seq, ByteView(text), Origin{}, sink);
    if (verdicts) verdicts->push_back(v);
  }
  r.finish(sink);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_reassembly)

BOOST_AUTO_TEST_CASE(in_order_out_of_order_overlap_and_retransmission) {
  TcpReassembly r;
  r.start(1000);
  std::vector<TcpReassembly::Verdict> v;
  using V = TcpReassembly::Verdict;
  // "ghi" arrives before "def"; "cdef" overlaps "abc"; "abc" comes again.
  std::string s = reassembled(r, {{1000, "abc"}, {1006, "ghi"}, {1002, "cdef"}, {1000, "abc"}, {1006, "ghi"}}, &v);
  BOOST_TEST(s == "abcdefghi");
  BOOST_TEST((v == std::vector<V>{V::delivered, V::held, V::delivered, V::retransmission, V::retransmission}));
  BOOST_TEST(r.held_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(sequence_numbers_wrap) {
  TcpReassembly r;
  r.start(0xfffffffe);
  std::string s = reassembled(r, {{0x00000001, "def"}, {0xfffffffe, "abc"}});
  BOOST_TEST(s == "abcdef");
  BOOST_TEST(r.next_seq() == 4u);
}

BOOST_AUTO_TEST_CASE(a_hole_left_open_is_a_gap_and_the_stream_goes_on) {
  TcpReassembly r;
  r.start(0);
  std::uint64_t missing = 0;
  std::string s = reassembled(r, {{0, "ab"}, {5, "fg"}}, nullptr, &missing);
  BOOST_TEST(s == "abfg");
  BOOST_TEST(missing == 3u);
}

BOOST_AUTO_TEST_CASE(held_bytes_are_bounded) {
  TcpReassembly r;
  r.start(0);
  std::uint64_t missing = 0;
  std::uint64_t delivered = 0;
  TcpReassembly::Sink sink;
  sink.data = [&](ByteView b, const Origin&) { delivered += b.size(); };
  sink.gap = [&](std::uint64_t n, const Origin&) { missing += n; };
  Bytes block(60000, 'x');
  // Byte 0 never comes: everything after it is held until the bound gives the hole up.
  for (std::uint32_t seq = 1; seq < 40 * 60000; seq += 60000) r.add(seq, block, Origin{}, sink);
  BOOST_TEST(r.held_bytes() <= TcpReassembly::kMaxHeldBytes);
  BOOST_TEST(missing == 1u);
  BOOST_TEST(delivered > 0u);
}

BOOST_AUTO_TEST_CASE(an_absurd_jump_is_dropped) {
  TcpReassembly r;
  r.start(0);
  std::vector<TcpReassembly::Verdict> v;
  std::string s = reassembled(r, {{0, "ab"}, {0x40000000, "zz"}, {2, "cd"}}, &v);
  BOOST_TEST(s == "abcd");
  BOOST_TEST((v[1] == TcpReassembly::Verdict::absurd));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tcp_dissector)

BOOST_AUTO_TEST_CASE(flags_as_tcpdump_prints_them) {
  Segment s;
  s.syn = true;
  BOOST_TEST(tcp_flags_text(s) == "S");
  s.ack_flag = true;
  BOOST_TEST(tcp_flags_text(s) == "S.");
  s = Segment{};
  s.fin = s.psh = s.ack_flag = true;
  BOOST_TEST(tcp_flags_text(s) == "FP.");
  s = Segment{};
  s.rst = true;
  BOOST_TEST(tcp_flags_text(s) == "R");
}

BOOST_AUTO_TEST_CASE(handshake_and_close_of_a_real_smtp_connection) {
  Conversation c = smtp_conversation({});
  BOOST_REQUIRE(c.delivered);
  TcpFlow flow(kClient, kServer, 0x10000000, 0xfffffff0);  // the server's numbers wrap mid-way
  std::vector<Segment> packets = flow.connection(c.chunks);
  number(packets);
  DissectorOutput out = dissect(packets);
  BOOST_TEST(joined(out.problems) == "");
  std::vector<TimelineEvent> tcp = of(out, "tcp");
  BOOST_REQUIRE_EQUAL(tcp.size(), 4u);
  BOOST_TEST(tcp[0].kind == "syn");
  BOOST_TEST(tcp[0].tcp_flags == "S");
  BOOST_TEST(tcp[0].source == "198.51.100.7:41000");
  BOOST_TEST(tcp[0].destination == "192.0.2.2:25");
  BOOST_TEST(tcp[0].packet_number == 1u);
  BOOST_TEST(tcp[1].kind == "syn-ack");
  BOOST_TEST(tcp[1].tcp_flags == "S.");
  BOOST_TEST(tcp[1].packet_number == 2u);
  BOOST_TEST(tcp[2].kind == "fin");
  BOOST_TEST(tcp[2].tcp_flags == "F.");
  BOOST_TEST(tcp[2].source == "198.51.100.7:41000");
  BOOST_TEST(tcp[3].kind == "fin");
  BOOST_TEST(tcp[3].source == "192.0.2.2:25");
  BOOST_TEST(tcp[3].packet_number == packets.size() - 1);
  BOOST_TEST(tcp[0].at.unix_ns() == packets[0].origin.at.unix_ns());
}

BOOST_AUTO_TEST_CASE(retransmitted_and_reordered_segments_give_the_same_conversation) {
  ConversationOptions o;
  o.message = "Subject: long\r\n\r\n" + std::string(5000, 'a') + "\r\n";
  Conversation c = smtp_conversation(o);
  TcpFlow flow(kClient, kServer, 1000, 2000);
  std::vector<Segment> clean = flow.connection(c.chunks);
  number(clean);
  DissectorOutput expected = dissect(clean);
  BOOST_TEST(joined(expected.problems) == "");

  // The message goes out in 4 segments (5000+ bytes at 1448): swap the
  // second and third, and send the first again after them.
  std::vector<Segment> messy = clean;
  std::size_t first = 0;
  for (std::size_t i = 0; i < messy.size(); ++i)
    if (messy[i].payload.size() == 1448) {
      first = i;
      break;
    }
  BOOST_REQUIRE(first > 0);
  std::swap(messy[first + 1], messy[first + 2]);
  messy.insert(messy.begin() + std::ptrdiff_t(first) + 3, messy[first]);
  number(messy);
  DissectorOutput got = dissect(messy);
  BOOST_TEST(joined(got.problems) == "");
  BOOST_TEST(joined(smtp_outline(got)) == joined(smtp_outline(expected)));
  std::vector<TimelineEvent> retrans;
  for (const TimelineEvent& e : of(got, "tcp"))
    if (e.kind == "retransmission") retrans.push_back(e);
  BOOST_REQUIRE_EQUAL(retrans.size(), 1u);
  BOOST_TEST(retrans[0].packet_number == first + 4);
  BOOST_TEST(retrans[0].tcp_flags == "P.");
  BOOST_TEST(retrans[0].source == "198.51.100.7:41000");
  BOOST_TEST(retrans[0].detail == "seq " + std::to_string(messy[first].seq - 1000) + " len 1448");
}

BOOST_AUTO_TEST_CASE(a_segment_cut_by_the_snaplen_is_a_reported_gap) {
  ConversationOptions o;
  o.message = "Subject: long\r\n\r\n" + std::string(5000, 'a') + "\r\n";
  Conversation c = smtp_conversation(o);
  TcpFlow flow(kClient, kServer, 1000, 2000);
  std::vector<Segment> packets = flow.connection(c.chunks);
  number(packets);
  DissectorOutput clean = dissect(packets);
  std::size_t second = 0;
  for (std::size_t i = 0; i < packets.size(); ++i)
    if (packets[i].payload.size() == 1448) {
      second = i + 1;
      break;
    }
  BOOST_REQUIRE(second > 1);
  packets[second].payload = packets[second].payload.subview(0, 100);
  packets[second].payload_cut = 1348;
  DissectorOutput out = dissect(packets);
  std::string at = "test.pcap packet " + std::to_string(second + 1) + ": tcp: ";
  BOOST_REQUIRE_EQUAL(out.problems.size(), 2u);
  BOOST_TEST(out.problems[0] == at + "198.51.100.7:41000 -> 192.0.2.2:25 segment cut by the capture: 1348 of 1448 "
                                     "payload bytes not captured");
  BOOST_TEST(out.problems[1] == at + "1348 bytes from 198.51.100.7:41000 missing from the capture (a hole in the stream)");
  // The end of data is still found after the hole, and the conversation reads as before.
  BOOST_TEST(joined(smtp_outline(out)) == joined(smtp_outline(clean)));
  for (const TimelineEvent& e : of(out, "smtp"))
    if (e.kind == "data") BOOST_TEST(e.detail.find(std::to_string(o.message.size() - 1348) + " octets") == 0u);
}

BOOST_AUTO_TEST_CASE(a_syn_nobody_answers) {
  TcpFlow flow(kClient, *Endpoint::parse("192.0.2.9:25"), 77, 0);
  std::vector<Segment> packets{flow.syn(), flow.syn(), flow.syn()};
  number(packets, "test.pcap", Duration::seconds(1));
  // Linux's schedule: 1 s then 2 s.
  packets[2].origin.at = packets[1].origin.at + Duration::seconds(2);
  DissectorOutput out = dissect(packets);
  std::vector<TimelineEvent> tcp = of(out, "tcp");
  BOOST_REQUIRE_EQUAL(tcp.size(), 4u);
  BOOST_TEST(tcp[0].detail == "");
  BOOST_TEST(tcp[1].kind == "syn");
  BOOST_TEST(tcp[1].detail == "retransmission (SYN 2)");
  BOOST_TEST(tcp[2].detail == "retransmission (SYN 3)");
  BOOST_TEST(tcp[3].kind == "unanswered");
  BOOST_TEST(tcp[3].detail == "3 SYNs over 3s, no SYN-ACK");
  BOOST_TEST(tcp[3].packet_number == 3u);
  BOOST_TEST(tcp[3].destination == "192.0.2.9:25");
}

BOOST_AUTO_TEST_CASE(a_syn_refused_by_rst_and_an_answered_one) {
  TcpFlow refused(kClient, kServer, 5, 0);
  TcpFlow answered(*Endpoint::parse("198.51.100.7:41001"), kServer, 9, 99);
  std::vector<Segment> packets{refused.syn(), answered.syn(), refused.rst(false), answered.syn_ack()};
  number(packets);
  DissectorOutput out = dissect(packets);
  std::vector<TimelineEvent> tcp = of(out, "tcp");
  BOOST_REQUIRE_EQUAL(tcp.size(), 5u);
  BOOST_TEST(tcp[2].kind == "rst");
  BOOST_TEST(tcp[2].tcp_flags == "R.");
  BOOST_TEST(tcp[3].kind == "unanswered");
  BOOST_TEST(tcp[3].detail == "1 SYN over 0s, answered by RST");
  BOOST_TEST(tcp[3].source == "198.51.100.7:41000");
  BOOST_TEST(tcp[4].kind == "syn-ack");  // the other attempt is not reported at the end
}

BOOST_AUTO_TEST_CASE(a_lost_segment_and_an_absurd_jump_are_reported_with_their_packet) {
  Conversation c = smtp_conversation({});
  TcpFlow flow(kClient, kServer, 1000, 2000);
  std::vector<Segment> packets = flow.connection(c.chunks);
  // The segment carrying MAIL FROM never made it into the capture.
  std::size_t mail = 0;
  for (std::size_t i = 0; i < packets.size(); ++i)
    if (std::string(packets[i].payload.begin(), packets[i].payload.end()).rfind("MAIL FROM", 0) == 0) mail = i;
  BOOST_REQUIRE(mail > 0);
  packets.erase(packets.begin() + std::ptrdiff_t(mail));
  Segment wild = packets[3];
  wild.seq += 0x70000000;
  packets.insert(packets.begin() + 4, wild);
  number(packets);
  DissectorOutput out = dissect(packets);
  BOOST_REQUIRE_EQUAL(out.problems.size(), 2u);
  BOOST_TEST(out.problems[0].find("test.pcap packet 5: tcp: 192.0.2.2:25 -> 198.51.100.7:41000 seq ") == 0u);
  BOOST_TEST(out.problems[0].find("segment ignored") != std::string::npos);
  BOOST_TEST(out.problems[1].find("missing from the capture") != std::string::npos);
  // The server acknowledged the lost bytes: the hole is given up as soon as
  // the next client segment comes (the RCPT, packet 9), and the reply to the
  // MAIL nobody saw is unsolicited.
  BOOST_TEST(out.problems[1] ==
             "test.pcap packet 9: tcp: 37 bytes from 198.51.100.7:41000 missing from the capture (a hole in the stream)");
  BOOST_TEST(joined(smtp_outline(out)) ==
             "greeting 220\ncommand EHLO\nreply 250\nreply 250\ncommand RCPT\nreply 250\ncommand DATA\nreply 354\n"
             "data\nreply 250\ntransaction 250\ncommand QUIT\nreply 221\n");
  BOOST_TEST(of(out, "smtp")[3].detail.find("unsolicited: 250") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
