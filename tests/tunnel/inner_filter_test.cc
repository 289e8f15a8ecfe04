// The inner allow-list: its text form (the AllowInner key), what each rule
// admits in each direction, and the inner packet parser it relies on.

#include "tunnel/inner_filter.h"

#include <boost/test/unit_test.hpp>

#include "tunnel/inner_packets.h"
#include "tunnel/tunnel_config.h"

using namespace tether;
using namespace tether::tunnel;
using namespace tether::tunnel::testing;

namespace {

const IpAddress here = ip("10.8.0.2");
const IpAddress there = ip("10.8.0.1");

bool allows(const InnerFilter& f, const Bytes& packet, InnerDirection way) {
  auto parsed = parse_inner_packet(packet);
  BOOST_REQUIRE(parsed.ok());
  return f.allows(*parsed, packet, way);
}
constexpr auto in = InnerDirection::inbound;
constexpr auto out = InnerDirection::outbound;

InnerFilter filter(std::string_view text) {
  auto f = InnerFilter::parse(text);
  BOOST_REQUIRE_MESSAGE(f.ok(), (f.ok() ? std::string() : f.error().message));
  return *f;
}

std::string parse_error(std::string_view text) {
  auto f = InnerFilter::parse(text);
  BOOST_REQUIRE(!f.ok());
  return f.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(inner_filter)

BOOST_AUTO_TEST_CASE(default_allows_everything) {
  InnerFilter all;
  BOOST_TEST(all.allows_all());
  BOOST_TEST(allows(all, tcp_packet(there, 1, here, 22, tcp_flag::syn), in));
  BOOST_TEST(allows(all, udp_packet(here, 1, there, 2), out));
}

BOOST_AUTO_TEST_CASE(text_form_round_trips) {
  InnerFilter f = filter("IN TCP 25 ,icmp   local 10.8.0.2 remote 10.8.0.1/32, out udp 5000-5010, any remote fd00::/64");
  BOOST_REQUIRE(f.rules().size() == 4u);
  BOOST_TEST(f.to_string() ==
             "in tcp 25, icmp local 10.8.0.2/32 remote 10.8.0.1/32, out udp 5000-5010, any remote fd00::/64");
  BOOST_TEST(filter(f.to_string()) == f);
}

BOOST_AUTO_TEST_CASE(errors_name_the_rule_and_the_word) {
  BOOST_TEST(parse_error("tcp 25, smtp") == "in rule ' smtp': unknown protocol 'smtp' (expected tcp, udp, icmp, icmpv6 or any)");
  BOOST_TEST(parse_error("tcp 99999").find("'99999' is not a port") != std::string::npos);
  BOOST_TEST(parse_error("udp 10-5").find("runs backwards") != std::string::npos);
  BOOST_TEST(parse_error("icmp 8").find("a port applies only to tcp or udp") != std::string::npos);
  BOOST_TEST(parse_error("tcp 25 local").find("missing address after 'local'") != std::string::npos);
  BOOST_TEST(parse_error("tcp 25 local 10.0.0.1 local 10.0.0.2").find("given twice") != std::string::npos);
  BOOST_TEST(parse_error("tcp 25 from 10.0.0.1").find("unexpected 'from'") != std::string::npos);
  BOOST_TEST(parse_error("icmp remote fd00::1").find("other IP version") != std::string::npos);
  BOOST_TEST(parse_error("tcp 25,").find("empty rule") != std::string::npos);
  BOOST_TEST(parse_error("in").find("missing protocol") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(service_here_admits_its_conversations_only) {
  InnerFilter smtp_here = filter("in tcp 25");
  BOOST_TEST(allows(smtp_here, tcp_packet(there, 40000, here, 25, tcp_flag::syn), in));   // connect to us
  BOOST_TEST(allows(smtp_here, tcp_packet(here, 25, there, 40000, tcp_flag::syn | tcp_flag::ack), out));  // reply
  BOOST_TEST(allows(smtp_here, tcp_packet(here, 25, there, 40000, tcp_flag::ack), out));
  BOOST_TEST(!allows(smtp_here, tcp_packet(there, 40000, here, 22, tcp_flag::syn), in));  // other service
  BOOST_TEST(!allows(smtp_here, tcp_packet(here, 40000, there, 25, tcp_flag::syn), out)); // us connecting out
  BOOST_TEST(!allows(smtp_here, tcp_packet(here, 25, there, 22, tcp_flag::syn), out));    // bare SYN "reply"
  BOOST_TEST(!allows(smtp_here, udp_packet(there, 40000, here, 25), in));
  BOOST_TEST(!allows(smtp_here, echo_request(there, here), in));
}

BOOST_AUTO_TEST_CASE(service_there_and_either_side) {
  InnerFilter smtp_there = filter("out tcp 25");
  BOOST_TEST(allows(smtp_there, tcp_packet(here, 40000, there, 25, tcp_flag::syn), out));
  BOOST_TEST(allows(smtp_there, tcp_packet(there, 25, here, 40000, tcp_flag::syn | tcp_flag::ack), in));
  BOOST_TEST(!allows(smtp_there, tcp_packet(there, 25, here, 22, tcp_flag::syn), in));  // a SYN from port 25
  BOOST_TEST(!allows(smtp_there, tcp_packet(there, 40000, here, 25, tcp_flag::syn), in));

  InnerFilter dns = filter("udp 53");
  BOOST_TEST(allows(dns, udp_packet(there, 5353, here, 53), in));
  BOOST_TEST(allows(dns, udp_packet(here, 53, there, 5353), out));
  BOOST_TEST(allows(dns, udp_packet(here, 5353, there, 53), out));
  BOOST_TEST(!allows(dns, udp_packet(here, 5353, there, 54), out));

  InnerFilter range = filter("tcp 8000-8080");
  BOOST_TEST(allows(range, tcp_packet(there, 1, here, 8000, tcp_flag::syn), in));
  BOOST_TEST(allows(range, tcp_packet(there, 1, here, 8080, tcp_flag::syn), in));
  BOOST_TEST(!allows(range, tcp_packet(there, 1, here, 8081, tcp_flag::syn), in));
}

BOOST_AUTO_TEST_CASE(icmp_between_the_tunnel_addresses) {
  InnerFilter f = filter("icmp local 10.8.0.2 remote 10.8.0.1, icmpv6");
  BOOST_TEST(allows(f, echo_request(there, here), in));
  BOOST_TEST(allows(f, echo_request(here, there), out));
  BOOST_TEST(!allows(f, echo_request(ip("10.8.0.9"), here), in));  // another remote
  BOOST_TEST(!allows(f, echo_request(there, ip("10.8.0.3")), in));  // another local address
  BOOST_TEST(allows(f, echo_request(ip("fd00::1"), ip("fd00::2")), in));
  BOOST_TEST(!allows(f, tcp_packet(there, 1, here, 25), in));

  InnerFilter only_in = filter("in icmp");
  BOOST_TEST(allows(only_in, echo_request(there, here), in));
  BOOST_TEST(!allows(only_in, echo_request(here, there), out));
}

BOOST_AUTO_TEST_CASE(fragments_and_extension_headers) {
  InnerFilter smtp = filter("tcp 25");
  // A later IPv4 fragment carries no ports: no port rule matches it.
  Bytes later = tcp_packet(there, 40000, here, 25);
  store_be16(&later[6], 0x0010);  // offset 16 * 8 bytes
  BOOST_TEST(!allows(smtp, later, in));
  BOOST_TEST(allows(filter("tcp"), later, in));

  // IPv6 with a hop-by-hop header before TCP: still found.
  Bytes tcp = tcp_packet(ip("fd00::1"), 40000, ip("fd00::2"), 25, tcp_flag::syn);
  Bytes v6(tcp.begin(), tcp.begin() + 40);
  v6[6] = 0;  // next header: hop-by-hop
  Bytes hbh(8, 0);
  hbh[0] = ip_protocol::tcp;
  append(v6, hbh);
  append(v6, ByteView(tcp.data() + 40, tcp.size() - 40));
  store_be16(&v6[4], std::uint16_t(v6.size() - 40));
  auto parsed = parse_inner_packet(v6);
  BOOST_REQUIRE(parsed.ok());
  BOOST_REQUIRE(parsed->protocol.has_value());
  BOOST_TEST(int(*parsed->protocol) == int(ip_protocol::tcp));
  BOOST_TEST(*parsed->transport_offset == 48u);
  BOOST_TEST(allows(smtp, v6, in));
}

BOOST_AUTO_TEST_CASE(inner_packet_validation) {
  BOOST_TEST(parse_inner_packet(Bytes()).error() == InnerPacketError::empty);
  BOOST_TEST(parse_inner_packet(Bytes(19, 0x45)).error() == InnerPacketError::short_header);
  Bytes v4 = udp_packet(here, 1, there, 2);
  v4.push_back(0);  // padding is fine: the header says how long the packet is
  auto parsed = parse_inner_packet(v4);
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed->length == v4.size() - 1);
  store_be16(&v4[2], std::uint16_t(v4.size() + 1));
  BOOST_TEST(parse_inner_packet(v4).error() == InnerPacketError::bad_length);
  store_be16(&v4[2], 19);
  BOOST_TEST(parse_inner_packet(v4).error() == InnerPacketError::bad_length);
  Bytes v5 = udp_packet(here, 1, there, 2);
  v5[0] = 0x55;
  BOOST_TEST(parse_inner_packet(v5).error() == InnerPacketError::bad_version);
  Bytes v6 = echo_request(ip("fd00::1"), ip("fd00::2"));
  BOOST_TEST(parse_inner_packet(ByteView(v6.data(), 39)).error() == InnerPacketError::short_header);
  store_be16(&v6[4], 1000);
  BOOST_TEST(parse_inner_packet(v6).error() == InnerPacketError::bad_length);
}

BOOST_AUTO_TEST_CASE(allow_inner_in_the_tunnel_config) {
  const std::string key = "EMPc70uzABs0FMUhebYeX9X5GxI0F5OS5Wp371a3jng=";
  auto parsed = parse_tunnel_config("[Interface]\nPrivateKey = " + key +
                                        "\nAllowInner = in tcp 25, icmp local 10.8.0.2\n"
                                        "allowinner = udp 53   # and DNS\n",
                                    "wg0.conf");
  BOOST_REQUIRE(parsed.ok());
  BOOST_TEST(parsed.config.interface.allow_inner.to_string() == "in tcp 25, icmp local 10.8.0.2/32, udp 53");
  const std::string written = to_wg_quick(parsed.config);
  BOOST_TEST(written.find("AllowInner = in tcp 25, icmp local 10.8.0.2/32, udp 53\n") != std::string::npos);
  auto again = parse_tunnel_config(written, "written.conf");
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again.config.interface.allow_inner == parsed.config.interface.allow_inner);

  auto none = parse_tunnel_config("[Interface]\nPrivateKey = " + key + "\n", "wg0.conf");
  BOOST_TEST(none.config.interface.allow_inner.allows_all());
  BOOST_TEST(to_wg_quick(none.config).find("AllowInner") == std::string::npos);

  auto bad = parse_tunnel_config("[Interface]\nPrivateKey = " + key + "\nAllowInner = tcp 99999\nAllowInner =\n",
                                 "wg0.conf");
  BOOST_REQUIRE(bad.errors.size() == 2u);
  BOOST_TEST(bad.errors[0].to_string() ==
             "wg0.conf:3: AllowInner: in rule 'tcp 99999': '99999' is not a port (0-65535) or a range PORT-PORT");
  BOOST_TEST(bad.errors[1].to_string().rfind("wg0.conf:4: AllowInner: empty value", 0) == 0u);

  auto misplaced = parse_tunnel_config("[Interface]\nPrivateKey = " + key + "\n[Peer]\nPublicKey = " +
                                           "6BKdJWRd/KyJ/S3/Hqs9Qngr7On6S3smBxwjQvUbA0E=\nAllowInner = tcp 25\n",
                                       "wg0.conf");
  BOOST_REQUIRE(misplaced.errors.size() == 1u);
  BOOST_TEST(misplaced.errors[0].message == "unknown key 'AllowInner' in [Peer] (it belongs in [Interface])");
}

BOOST_AUTO_TEST_SUITE_END()
