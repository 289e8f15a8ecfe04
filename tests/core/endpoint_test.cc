#include <boost/test/unit_test.hpp>

#include <unordered_set>

#include "core/endpoint.h"

using namespace tether;

BOOST_AUTO_TEST_SUITE(endpoint)

BOOST_AUTO_TEST_CASE(parses_and_prints_ipv4) {
  auto e = Endpoint::parse("1.2.3.4:51820");
  BOOST_TEST_REQUIRE(e.ok());
  BOOST_TEST(e->address().is_v4());
  BOOST_TEST(e->address().v4_host_order() == 0x01020304u);
  BOOST_TEST(e->port() == 51820);
  BOOST_TEST(e->to_string() == "1.2.3.4:51820");
}

BOOST_AUTO_TEST_CASE(parses_and_prints_ipv6) {
  auto e = Endpoint::parse("[2001:db8::1]:51820");
  BOOST_TEST_REQUIRE(e.ok());
  BOOST_TEST(e->address().is_v6());
  BOOST_TEST(e->port() == 51820);
  BOOST_TEST(e->to_string() == "[2001:db8::1]:51820");
  // Canonical form on output, whatever the input spelling.
  BOOST_TEST(Endpoint::parse("[2001:0db8:0000::0001]:1")->to_string() == "[2001:db8::1]:1");
}

BOOST_AUTO_TEST_CASE(malformed_endpoints_name_the_problem) {
  struct Case {
    const char* text;
    const char* fragment;
  };
  for (const Case& c : {
           Case{"", "empty endpoint"},
           Case{"1.2.3.4", "missing ':port'"},
           Case{"1.2.3.4:", "missing port"},
           Case{"1.2.3.4:65536", "out of range"},
           Case{"1.2.3.4:51x20", "bad port '51x20'"},
           Case{"1.2.3:51820", "not a valid IPv4 address"},
           Case{"256.1.1.1:1", "not a valid IPv4 address"},
           Case{"2001:db8::1:51820", "needs brackets"},
           Case{"[2001:db8::1:51820", "missing ']'"},
           Case{"[2001:db8::1]51820", "missing ':port' after ']'"},
           Case{"[1.2.3.4]:80", "brackets are for IPv6"},
           Case{"[2001:db8::g]:80", "not a valid IPv6 address"},
       }) {
    auto e = Endpoint::parse(c.text);
    BOOST_TEST_REQUIRE(!e.ok(), "'" << c.text << "' should not parse");
    BOOST_TEST(e.error().code == ErrorCode::invalid_argument);
    BOOST_TEST(e.error().message.find(c.fragment) != std::string::npos,
               "'" << c.text << "' gave: " << e.error().message);
  }
}

BOOST_AUTO_TEST_CASE(prefixes) {
  auto p = IpPrefix::parse("10.0.0.1/24");
  BOOST_TEST_REQUIRE(p.ok());
  BOOST_TEST(p->network().to_string() == "10.0.0.0/24");
  BOOST_TEST(p->contains(*IpAddress::parse("10.0.0.200")));
  BOOST_TEST(!p->contains(*IpAddress::parse("10.0.1.1")));
  BOOST_TEST(!p->contains(*IpAddress::parse("::1")));
  auto v6 = IpPrefix::parse("2001:db8:c1da::1/48");
  BOOST_TEST_REQUIRE(v6.ok());
  BOOST_TEST(v6->network().to_string() == "2001:db8:c1da::/48");
  BOOST_TEST(v6->contains(*IpAddress::parse("2001:db8:c1da:ffff::9")));
  BOOST_TEST(IpPrefix::parse("192.0.2.7")->length() == 32);
  BOOST_TEST(IpPrefix::parse("::/0")->contains(*IpAddress::parse("2001:db8::1")));
  BOOST_TEST(IpPrefix::parse("10.0.0.0/33").error().message.find("exceeds 32") != std::string::npos);
  BOOST_TEST(IpPrefix::parse("10.0.0.0/x").error().message.find("bad prefix length") != std::string::npos);
  BOOST_TEST(IpPrefix::parse("10.0.0.0/25")->contains(*IpAddress::parse("10.0.0.127")));
  BOOST_TEST(!IpPrefix::parse("10.0.0.0/25")->contains(*IpAddress::parse("10.0.0.128")));
}

BOOST_AUTO_TEST_CASE(addresses_hash_and_order) {
  std::unordered_set<Endpoint> set;
  set.insert(*Endpoint::parse("1.2.3.4:1"));
  set.insert(*Endpoint::parse("1.2.3.4:1"));
  set.insert(*Endpoint::parse("[::1]:1"));
  BOOST_TEST(set.size() == 2u);
  BOOST_TEST(IpAddress::loopback(IpAddress::Family::v4).is_loopback());
  BOOST_TEST(IpAddress::loopback(IpAddress::Family::v6).to_string() == "::1");
  BOOST_TEST(IpAddress::any(IpAddress::Family::v6).is_unspecified());
}

BOOST_AUTO_TEST_SUITE_END()
