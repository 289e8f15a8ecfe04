// The decode layer on frames built in the test: link layers, VLAN tags,
// IPv4/IPv6 (extension headers, fragments), UDP, TCP, ICMP, and what it
// says about frames that are malformed or cut.

#include "pcap/decode.h"

#include <pcap/dlt.h>

#include <boost/test/unit_test.hpp>

#include "pcap/frames.h"

namespace tether::pcap {
namespace {

using namespace testing;

Origin at_packet(std::uint64_t number, std::int64_t ns = 1'000'000'000) {
  Origin o;
  o.capture_name = "test.pcap";
  o.packet_number = number;
  o.at = WallTime::from_unix_ns(ns);
  return o;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

BOOST_AUTO_TEST_SUITE(decode)

BOOST_AUTO_TEST_CASE(tcp_fields_are_read_and_options_skipped) {
  CollectingVisitor v;
  Decoder d(DLT_RAW, v);
  Bytes segment = tcp(40000, 25, 1000, 2000, 0x18 /* PSH ACK */, 512, text("EHLO x\r\n"), 12);
  d.decode(at_packet(1), ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 6, segment), 0);
  BOOST_TEST_REQUIRE(v.seen.segments.size() == 1u, v.seen.errors_text());
  const Segment& s = v.seen.segments[0];
  BOOST_TEST(s.source.to_string() == "10.0.0.1:40000");
  BOOST_TEST(s.destination.to_string() == "10.0.0.2:25");
  BOOST_TEST(s.seq == 1000u);
  BOOST_TEST(s.ack == 2000u);
  BOOST_TEST((s.psh && s.ack_flag && !s.syn && !s.fin && !s.rst));
  BOOST_TEST(s.window == 512);
  BOOST_TEST(v.seen.segment_payloads[0] == text("EHLO x\r\n"));
  BOOST_TEST(!s.payload_cut);
}

BOOST_AUTO_TEST_CASE(ethernet_padding_is_not_payload) {
  CollectingVisitor v;
  Decoder d(DLT_EN10MB, v);
  Bytes frame = ethernet(ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, text("ab"))));
  frame.resize(60, 0);  // the minimum Ethernet frame
  d.decode(at_packet(1), frame, 0);
  BOOST_TEST_REQUIRE(v.seen.datagrams.size() == 1u, v.seen.errors_text());
  BOOST_TEST(v.seen.datagram_payloads[0] == text("ab"));
}

BOOST_AUTO_TEST_CASE(qinq_tags_are_taken_off) {
  CollectingVisitor v;
  Decoder d(DLT_EN10MB, v);
  d.decode(at_packet(1), ethernet(ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, text("q"))), {0x88a8, 0x8100}), 0);
  d.decode(at_packet(2), ethernet(ipv6(v6("fd00::1"), v6("fd00::2"), 17, udp(3, 4, text("v"))), {0x8100}), 0);
  BOOST_TEST_REQUIRE(v.seen.datagrams.size() == 2u, v.seen.errors_text());
  BOOST_TEST(v.seen.datagrams[1].source.to_string() == "[fd00::1]:3");
}

BOOST_AUTO_TEST_CASE(ipv6_extension_headers_are_walked_to_udp) {
  CollectingVisitor v;
  Decoder d(DLT_RAW, v);
  Bytes payload;
  // hop-by-hop (8 bytes, PadN) -> routing (type 0 segments left 0, 24 bytes) -> destination options -> UDP
  Bytes hop{43, 0, 1, 4, 0, 0, 0, 0};
  Bytes routing{60, 2, 0, 0, 0, 0, 0, 0};
  routing.resize(24, 0);
  Bytes dest{17, 0, 1, 4, 0, 0, 0, 0};
  for (const Bytes* h : {&hop, &routing, &dest}) payload.insert(payload.end(), h->begin(), h->end());
  Bytes u = udp(5353, 51820, text("wg"));
  payload.insert(payload.end(), u.begin(), u.end());
  d.decode(at_packet(1), ipv6(v6("2001:db8::1"), v6("2001:db8::2"), 0, payload), 0);
  BOOST_TEST_REQUIRE(v.seen.datagrams.size() == 1u, v.seen.errors_text());
  BOOST_TEST(v.seen.datagrams[0].destination.to_string() == "[2001:db8::2]:51820");
  BOOST_TEST(v.seen.datagram_payloads[0] == text("wg"));
}

BOOST_AUTO_TEST_CASE(ipv4_fragments_out_of_order_are_reassembled) {
  CollectingVisitor v;
  Decoder d(DLT_RAW, v);
  Bytes body(3000);
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<std::uint8_t>(i * 7);
  Bytes datagram = udp(1000, 2000, body);
  auto pieces = ipv4_fragments(v4("192.0.2.1"), v4("192.0.2.2"), 17, datagram, 0x1234, 1480);
  BOOST_TEST_REQUIRE(pieces.size() == 3u);
  // A fragment of another datagram with the same id but another protocol
  // (RFC 791's key includes it) in between must not mix in.
  auto other = ipv4_fragments(v4("192.0.2.1"), v4("192.0.2.2"), 6, Bytes(1600, 0xee), 0x1234, 1480);
  d.decode(at_packet(1), pieces[2], 0);
  d.decode(at_packet(2), other[0], 0);
  d.decode(at_packet(3), pieces[0], 0);
  BOOST_TEST(v.seen.datagrams.empty());
  d.decode(at_packet(4), pieces[1], 0);
  BOOST_TEST_REQUIRE(v.seen.datagrams.size() == 1u, v.seen.errors_text());
  BOOST_TEST(v.seen.datagram_payloads[0] == body);
  BOOST_TEST(v.seen.datagrams[0].origin.packet_number == 4u);  // the fragment that completed it
  BOOST_TEST(v.seen.errors.empty(), v.seen.errors_text());
  // The other one never completes: reported at the end with its packets.
  d.finish();
  BOOST_TEST_REQUIRE(v.seen.errors.size() == 1u);
  BOOST_TEST(v.seen.errors[0].to_string().find("test.pcap: packet 2: incomplete at the end of the capture") == 0u,
             v.seen.errors_text());
  BOOST_TEST(v.seen.errors[0].message.find("protocol 6") != std::string::npos, v.seen.errors_text());
}

BOOST_AUTO_TEST_CASE(ipv6_fragments_with_a_destination_header_are_reassembled) {
  CollectingVisitor v;
  Decoder d(DLT_IPV6, v);
  Bytes body(2500, 0x5a);
  // The fragmentable part starts with a destination options header (RFC
  // 8200 section 4.5 puts it after the fragment header) then UDP.
  Bytes fragmentable{17, 0, 1, 4, 0, 0, 0, 0};
  Bytes u = udp(51820, 51821, body);
  fragmentable.insert(fragmentable.end(), u.begin(), u.end());
  auto pieces = ipv6_fragments(v6("fd00::a"), v6("fd00::b"), fragmentable, 60, 0xdeadbeef, 1232);
  BOOST_TEST_REQUIRE(pieces.size() == 3u);
  d.decode(at_packet(1), pieces[1], 0);
  d.decode(at_packet(2), pieces[0], 0);
  d.decode(at_packet(3), pieces[1], 0);  // an exact duplicate is ignored
  d.decode(at_packet(4), pieces[2], 0);
  BOOST_TEST_REQUIRE(v.seen.datagrams.size() == 1u, v.seen.errors_text());
  BOOST_TEST(v.seen.datagram_payloads[0] == body);
  BOOST_TEST(v.seen.datagrams[0].source.to_string() == "[fd00::a]:51820");
  BOOST_TEST(v.seen.errors.empty(), v.seen.errors_text());
  BOOST_TEST(d.reassembler().pending_datagrams() == 0u);
}

BOOST_AUTO_TEST_CASE(overlapping_fragments_discard_the_datagram) {
  CollectingVisitor v;
  Decoder d(DLT_RAW, v);
  Bytes datagram = udp(1, 2, Bytes(100, 1));
  auto pieces = ipv4_fragments(v4("10.1.1.1"), v4("10.1.1.2"), 17, datagram, 7, 64);
  // A fragment at offset 8 overlapping the first one's bytes 8..63.
  Bytes overlap = ipv4(v4("10.1.1.1"), v4("10.1.1.2"), 17, Bytes(16, 9), 7, 0x2000 | 1);
  d.decode(at_packet(1), pieces[0], 0);
  d.decode(at_packet(2), overlap, 0);
  d.decode(at_packet(3), pieces[1], 0);
  BOOST_TEST(v.seen.datagrams.empty());
  BOOST_TEST_REQUIRE(!v.seen.errors.empty());
  BOOST_TEST(v.seen.errors[0].to_string().find("test.pcap: packet 2: overlapping fragments") == 0u, v.seen.errors_text());
}

BOOST_AUTO_TEST_CASE(reassembly_memory_is_bounded_and_evictions_are_reported) {
  CollectingVisitor v;
  ReassemblyLimits limits;
  limits.max_pending_datagrams = 2;
  Decoder d(DLT_RAW, v, limits);
  for (std::uint16_t id = 1; id <= 5; ++id) {
    auto pieces = ipv4_fragments(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, Bytes(100, 0)), id, 64);
    d.decode(at_packet(id, 1'000'000'000 + id), pieces[0], 0);  // first halves only
  }
  BOOST_TEST(d.reassembler().pending_datagrams() == 2u);
  BOOST_TEST_REQUIRE(v.seen.errors.size() == 3u, v.seen.errors_text());
  BOOST_TEST(v.seen.errors[0].message.find("evicted") != std::string::npos);
  BOOST_TEST(v.seen.errors[0].message.find("id 0x1") != std::string::npos, v.seen.errors_text());
  d.finish();
  BOOST_TEST(v.seen.errors.size() == 5u);
}

BOOST_AUTO_TEST_CASE(fragments_time_out_in_capture_time) {
  CollectingVisitor v;
  Decoder d(DLT_RAW, v);
  auto pieces = ipv4_fragments(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, Bytes(100, 0)), 9, 64);
  d.decode(at_packet(1, 0), pieces[0], 0);
  d.decode(at_packet(2, 61'000'000'000), pieces[1], 0);  // 61 s later: the first half was given up
  BOOST_TEST(v.seen.datagrams.empty());
  BOOST_TEST_REQUIRE(v.seen.errors.size() == 1u, v.seen.errors_text());
  BOOST_TEST(v.seen.errors[0].message.find("timed out") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(icmp_unreachable_quotes_what_it_answers) {
  CollectingVisitor v;
  Decoder d(DLT_RAW, v);
  Bytes answered = ipv4(v4("10.0.0.1"), v4("10.0.0.9"), 17, udp(51820, 51820, Bytes(32, 0)));
  Bytes quoted(answered.begin(), answered.begin() + 28);
  d.decode(at_packet(1), ipv4(v4("10.0.0.254"), v4("10.0.0.1"), 1, icmp(3, 3, quoted)), 0);
  Bytes answered6 = ipv6(v6("fd00::1"), v6("fd00::9"), 17, udp(1, 2, Bytes(4, 0)));
  d.decode(at_packet(2), ipv6(v6("fd00::fe"), v6("fd00::1"), 58, icmp(1, 4, answered6)), 0);
  d.decode(at_packet(3), ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 1, icmp(8, 0, text("ping"))), 0);
  BOOST_TEST_REQUIRE(v.seen.icmp.size() == 3u, v.seen.errors_text());
  BOOST_TEST((v.seen.icmp[0].type == 3 && v.seen.icmp[0].code == 3 && !v.seen.icmp[0].v6));
  BOOST_TEST(v.seen.icmp_quoted[0] == quoted);
  BOOST_TEST(v.seen.icmp[0].source.to_string() == "10.0.0.254");
  BOOST_TEST((v.seen.icmp[1].v6 && v.seen.icmp[1].type == 1 && v.seen.icmp[1].code == 4));
  BOOST_TEST(v.seen.icmp_quoted[1] == answered6);
  BOOST_TEST(v.seen.icmp_quoted[2].empty());  // an echo quotes nothing
}

BOOST_AUTO_TEST_CASE(a_snaplen_cut_says_so_and_keeps_the_headers) {
  CollectingVisitor v;
  Decoder d(DLT_EN10MB, v);
  Bytes frame = ethernet(ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, Bytes(148, 4))));
  auto original = static_cast<std::uint32_t>(frame.size());
  d.decode(at_packet(1), ByteView(frame).subview(0, 38), original);  // inside the UDP header
  d.decode(at_packet(2), ByteView(frame).subview(0, 64), original);  // 22 payload bytes of 148
  BOOST_TEST_REQUIRE(v.seen.errors.size() == 1u, v.seen.errors_text());
  BOOST_TEST(v.seen.errors[0].to_string() ==
             "test.pcap: packet 1: the capture's snaplen cut the UDP header: 4 of 8 bytes captured");
  BOOST_TEST_REQUIRE(v.seen.datagrams.size() == 1u);
  BOOST_TEST(v.seen.datagrams[0].payload_cut);
  BOOST_TEST(v.seen.datagram_payloads[0].size() == 22u);
}

BOOST_AUTO_TEST_CASE(malformed_headers_are_reported_per_record) {
  CollectingVisitor v;
  Decoder d(DLT_RAW, v);
  Bytes long_claim = ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, text("x")));
  long_claim[3] = 200;  // total length beyond the record
  d.decode(at_packet(1), long_claim, 0);
  Bytes bad_udp = ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, text("x")));
  bad_udp[20 + 5] = 3;  // UDP length 3
  d.decode(at_packet(2), bad_udp, 0);
  d.decode(at_packet(3), Bytes{0x50, 0, 0}, 0);
  d.decode(at_packet(4), ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, text("fine"))), 0);
  BOOST_TEST_REQUIRE(v.seen.errors.size() == 3u, v.seen.errors_text());
  BOOST_TEST(v.seen.errors[0].to_string() == "test.pcap: packet 1: IPv4 total length 200 exceeds the 29 bytes on the wire");
  BOOST_TEST(v.seen.errors[1].to_string() == "test.pcap: packet 2: UDP length 3 is under 8");
  BOOST_TEST(v.seen.errors[2].to_string() == "test.pcap: packet 3: IP version 5 (neither 4 nor 6)");
  BOOST_TEST(v.seen.datagrams.size() == 1u);  // the reading went on
}

BOOST_AUTO_TEST_CASE(bsd_loopback_family_in_either_byte_order) {
  CollectingVisitor v;
  Decoder null_link(DLT_NULL, v);
  Decoder loop_link(DLT_LOOP, v);
  Bytes p4 = ipv4(v4("127.0.0.1"), v4("127.0.0.1"), 17, udp(1, 2, text("4")));
  Bytes p6 = ipv6(v6("::1"), v6("::1"), 17, udp(1, 2, text("6")));
  null_link.decode(at_packet(1), bsd_null(p4, 2, false), 0);
  null_link.decode(at_packet(2), bsd_null(p6, 28, false), 0);  // FreeBSD's AF_INET6
  loop_link.decode(at_packet(3), bsd_null(p6, 24, true), 0);   // OpenBSD's, network order
  loop_link.decode(at_packet(4), bsd_null(p4, 99, true), 0);
  BOOST_TEST(v.seen.datagrams.size() == 3u, v.seen.errors_text());
  BOOST_TEST_REQUIRE(v.seen.errors.size() == 1u);
  BOOST_TEST(v.seen.errors[0].message == "loopback header: unknown address family 99");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
