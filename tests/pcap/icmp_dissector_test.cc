// ICMP errors quoting real headers: the quoted IPv4/IPv6 and UDP/TCP headers
// are written here byte by byte, as RFC 791/8200 and 768/793 lay them out.

#include "pcap/icmp_dissector.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>

using namespace tether;
using namespace tether::pcap;

namespace {

void put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = std::uint8_t(v >> 8);
  b[at + 1] = std::uint8_t(v);
}

// An IPv4 header (IHL 5, or more with options) and the first 8 bytes of UDP or TCP.
Bytes quoted_v4(std::uint8_t protocol, const char* from, std::uint16_t sport, const char* to, std::uint16_t dport,
                std::size_t options = 0) {
  std::size_t ihl = 20 + options;
  Bytes b(ihl + 8, 0);
  b[0] = std::uint8_t(0x40 | (ihl / 4));
  put16(b, 2, std::uint16_t(ihl + 8 + 32));
  b[8] = 64;
  b[9] = protocol;
  IpAddress a = *IpAddress::parse(from), d = *IpAddress::parse(to);
  std::uint32_t av = a.v4_host_order(), dv = d.v4_host_order();
  for (int i = 0; i < 4; ++i) {
    b[12 + i] = std::uint8_t(av >> (24 - 8 * i));
    b[16 + i] = std::uint8_t(dv >> (24 - 8 * i));
  }
  put16(b, ihl, sport);
  put16(b, ihl + 2, dport);
  return b;
}

IcmpMessage message(bool v6, std::uint8_t type, std::uint8_t code, const Bytes& quoted, const char* from,
                    const char* to) {
  IcmpMessage m;
  m.origin.capture_name = "icmp.pcap";
  m.origin.packet_number = 7;
  m.source = *IpAddress::parse(from);
  m.destination = *IpAddress::parse(to);
  m.v6 = v6;
  m.type = type;
  m.code = code;
  m.quoted = ByteView(quoted);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(icmp_dissector)

BOOST_AUTO_TEST_CASE(port_unreachable_quotes_the_udp_datagram) {
  Bytes q = quoted_v4(17, "10.0.0.2", 51820, "203.0.113.10", 51820);
  DissectorOutput out;
  dissect_icmp(message(false, 3, 3, q, "203.0.113.10", "10.0.0.2"), out);
  BOOST_REQUIRE_EQUAL(out.events.size(), 1u);
  const TimelineEvent& e = out.events[0];
  BOOST_TEST(e.protocol == "icmp");
  BOOST_TEST(e.kind == "unreachable");
  BOOST_TEST(e.detail == "port: udp 10.0.0.2:51820 -> 203.0.113.10:51820");
  BOOST_TEST(e.source == "203.0.113.10");
  BOOST_TEST(e.destination == "10.0.0.2");
  BOOST_TEST(e.packet_number == 7u);
  BOOST_TEST(out.problems.empty());
}

BOOST_AUTO_TEST_CASE(codes_are_named_and_ip_options_skipped) {
  Bytes q = quoted_v4(6, "198.51.100.7", 41000, "192.0.2.2", 25, 8);
  DissectorOutput out;
  dissect_icmp(message(false, 3, 13, q, "192.0.2.1", "198.51.100.7"), out);
  dissect_icmp(message(false, 3, 1, q, "192.0.2.1", "198.51.100.7"), out);
  dissect_icmp(message(false, 11, 0, q, "192.0.2.1", "198.51.100.7"), out);
  BOOST_REQUIRE_EQUAL(out.events.size(), 3u);
  BOOST_TEST(out.events[0].detail == "admin: tcp 198.51.100.7:41000 -> 192.0.2.2:25");
  BOOST_TEST(out.events[1].detail == "host: tcp 198.51.100.7:41000 -> 192.0.2.2:25");
  BOOST_TEST(out.events[2].kind == "time-exceeded");
  BOOST_TEST(unreachable_code_name(false, 0) == "net");
  BOOST_TEST(unreachable_code_name(false, 4) == "frag-needed");
  BOOST_TEST(unreachable_code_name(true, 0) == "no-route");
  BOOST_TEST(unreachable_code_name(false, 200) == "code 200");
}

BOOST_AUTO_TEST_CASE(icmpv6_port_unreachable_through_an_extension_header) {
  // IPv6 header, a destination-options header (8 bytes), then UDP.
  Bytes q(40 + 8 + 8, 0);
  q[0] = 0x60;
  q[6] = 60;  // destination options
  q[7] = 64;
  IpAddress a = *IpAddress::parse("2001:db8::2"), d = *IpAddress::parse("2001:db8::10");
  std::copy(a.bytes(), a.bytes() + 16, q.begin() + 8);
  std::copy(d.bytes(), d.bytes() + 16, q.begin() + 24);
  q[40] = 17;  // next: UDP
  q[41] = 0;   // 8 bytes long
  put16(q, 48, 51820);
  put16(q, 50, 51821);
  DissectorOutput out;
  dissect_icmp(message(true, 1, 4, q, "2001:db8::10", "2001:db8::2"), out);
  BOOST_REQUIRE_EQUAL(out.events.size(), 1u);
  BOOST_TEST(out.events[0].detail == "port: udp [2001:db8::2]:51820 -> [2001:db8::10]:51821");
  BOOST_TEST(out.problems.empty());
}

BOOST_AUTO_TEST_CASE(echo_makes_no_event_and_a_short_quote_a_problem) {
  Bytes q = quoted_v4(17, "10.0.0.2", 51820, "203.0.113.10", 51820);
  DissectorOutput out;
  dissect_icmp(message(false, 8, 0, q, "10.0.0.2", "203.0.113.10"), out);
  BOOST_TEST(out.events.empty());
  Bytes cut(q.begin(), q.begin() + 22);  // the header and half a port
  dissect_icmp(message(false, 3, 3, cut, "203.0.113.10", "10.0.0.2"), out);
  Bytes none;
  dissect_icmp(message(false, 3, 3, none, "203.0.113.10", "10.0.0.2"), out);
  BOOST_REQUIRE_EQUAL(out.events.size(), 2u);
  BOOST_TEST(out.events[0].detail == "port: udp 10.0.0.2 -> 203.0.113.10");
  BOOST_TEST(out.events[1].detail == "port");
  BOOST_REQUIRE_EQUAL(out.problems.size(), 2u);
  BOOST_TEST(out.problems[0] == "icmp.pcap packet 7: icmp unreachable: the quote ends before the udp ports (22 bytes)");
  BOOST_TEST(out.problems[1] ==
             "icmp.pcap packet 7: icmp unreachable: the quoted packet is not an IPv4 header (0 bytes)");
}

BOOST_AUTO_TEST_SUITE_END()
