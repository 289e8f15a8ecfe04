// DnsZone, and Ns3Host's lookups answered from it.

#include <boost/test/unit_test.hpp>

#include <optional>

#include "sim/world/dns_zone.h"
#include "sim/host/sim_host_fixture.h"

using namespace tether;
using namespace tether::testing;

namespace {

std::shared_ptr<sim::DnsZone> example_zone() {
  auto zone = std::make_shared<sim::DnsZone>();
  zone->add_mx("example.org", 10, "mx.example.org.", Duration::seconds(3600));
  zone->add_mx("example.org", 20, "backup.example.net", Duration::seconds(600));
  zone->add_address("mx.example.org", *IpAddress::parse("192.0.2.25"), Duration::seconds(60));
  zone->add_address("mx.example.org", *IpAddress::parse("192.0.2.26"), Duration::seconds(300));
  zone->add_address("mx.example.org", *IpAddress::parse("2001:db8::25"));
  zone->add_address("backup.example.net", *IpAddress::parse("198.51.100.25"));
  return zone;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dns_zone)

BOOST_AUTO_TEST_CASE(answers_by_name_and_type) {
  auto zone = example_zone();
  auto mx = zone->lookup("EXAMPLE.org.", DnsRecordType::mx);
  BOOST_TEST_REQUIRE(mx.ok());
  BOOST_TEST_REQUIRE(mx->mx.size() == 2u);
  BOOST_TEST((mx->mx[0] == MxRecord{10, "mx.example.org"}));
  BOOST_TEST((mx->mx[1] == MxRecord{20, "backup.example.net"}));
  BOOST_TEST(mx->ttl == Duration::seconds(600));  // the smallest

  auto a = zone->lookup("mx.example.org", DnsRecordType::a);
  BOOST_TEST_REQUIRE(a.ok());
  BOOST_TEST_REQUIRE(a->addresses.size() == 2u);
  BOOST_TEST(a->addresses[0] == *IpAddress::parse("192.0.2.25"));
  BOOST_TEST(a->ttl == Duration::seconds(60));
  auto aaaa = zone->lookup("mx.example.org", DnsRecordType::aaaa);
  BOOST_TEST_REQUIRE(aaaa.ok());
  BOOST_TEST(aaaa->addresses.at(0) == *IpAddress::parse("2001:db8::25"));
  BOOST_TEST(aaaa->ttl == sim::DnsZone::kDefaultTtl);

  auto nx = zone->lookup("nowhere.example.org", DnsRecordType::a);
  BOOST_TEST_REQUIRE(!nx.ok());
  BOOST_TEST(nx.error().code == ErrorCode::dns_nxdomain);
  auto no_data = zone->lookup("backup.example.net", DnsRecordType::mx);
  BOOST_TEST_REQUIRE(!no_data.ok());
  BOOST_TEST(no_data.error().code == ErrorCode::dns_no_data, no_data.error().to_string());
}

BOOST_AUTO_TEST_CASE(changes_replace_and_remove) {
  auto zone = example_zone();
  zone->set_addresses("mx.example.org", IpAddress::Family::v4, {*IpAddress::parse("203.0.113.7")});
  auto a = zone->lookup("mx.example.org", DnsRecordType::a);
  BOOST_TEST_REQUIRE(a.ok());
  BOOST_TEST_REQUIRE(a->addresses.size() == 1u);
  BOOST_TEST(a->addresses[0] == *IpAddress::parse("203.0.113.7"));
  BOOST_TEST(zone->lookup("mx.example.org", DnsRecordType::aaaa).ok());  // the other family stays

  zone->remove("mx.example.org", DnsRecordType::a);
  BOOST_TEST(zone->lookup("mx.example.org", DnsRecordType::a).error().code == ErrorCode::dns_no_data);
  zone->remove("mx.example.org", DnsRecordType::aaaa);
  BOOST_TEST(zone->lookup("mx.example.org", DnsRecordType::a).error().code == ErrorCode::dns_nxdomain);
}

BOOST_AUTO_TEST_CASE(ptr_records_answer_by_address) {
  auto zone = example_zone();
  zone->add_ptr(*IpAddress::parse("192.0.2.25"), "MX.example.org.", Duration::seconds(60));
  zone->add_ptr(*IpAddress::parse("2001:db8::25"), "mx.example.org");
  zone->add_ptr(*IpAddress::parse("2001:db8::25"), "alias.example.org", Duration::seconds(30));

  auto v4 = zone->lookup("192.0.2.25", DnsRecordType::ptr);
  BOOST_TEST_REQUIRE(v4.ok());
  BOOST_TEST((v4->names == std::vector<std::string>{"mx.example.org"}));
  BOOST_TEST(v4->ttl == Duration::seconds(60));
  // Any spelling of the address; names in the order they were added.
  auto v6 = zone->lookup("2001:DB8:0:0::25", DnsRecordType::ptr);
  BOOST_TEST_REQUIRE(v6.ok());
  BOOST_TEST((v6->names == std::vector<std::string>{"mx.example.org", "alias.example.org"}));
  BOOST_TEST(v6->ttl == Duration::seconds(30));

  // Kept where a real zone keeps them: at the reverse name.
  BOOST_TEST(reverse_dns_name(*IpAddress::parse("192.0.2.25")) == "25.2.0.192.in-addr.arpa");
  BOOST_TEST(reverse_dns_name(*IpAddress::parse("2001:db8::25")) ==
             "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  BOOST_TEST(zone->lookup("25.2.0.192.in-addr.arpa", DnsRecordType::a).error().code == ErrorCode::dns_no_data);

  BOOST_TEST(zone->lookup("192.0.2.26", DnsRecordType::ptr).error().code == ErrorCode::dns_nxdomain);
  BOOST_TEST(zone->lookup("mx.example.org", DnsRecordType::ptr).error().code == ErrorCode::invalid_argument);
  zone->remove("192.0.2.25", DnsRecordType::ptr);
  BOOST_TEST(zone->lookup("192.0.2.25", DnsRecordType::ptr).error().code == ErrorCode::dns_nxdomain);
  BOOST_TEST(zone->lookup("mx.example.org", DnsRecordType::a).ok());  // forward records stay
}

BOOST_AUTO_TEST_CASE(host_lookups_answer_from_the_zone_after_a_delay) {
  SimHostFixture f;
  auto zone = example_zone();
  f.ns3_host().set_dns_zone(zone);
  Host& host = f.host();
  std::optional<Result<DnsAnswer>> mx, nx;
  Time answered_at;
  Time start = host.now();
  auto q1 = host.dns_lookup("example.org", DnsRecordType::mx, [&](Result<DnsAnswer> r) {
    mx = std::move(r);
    answered_at = host.now();
  });
  auto q2 = host.dns_lookup("nowhere.example", DnsRecordType::mx, [&](Result<DnsAnswer> r) { nx = std::move(r); });
  bool dropped_answered = false;
  auto q3 = host.dns_lookup("example.org", DnsRecordType::mx, [&](Result<DnsAnswer>) { dropped_answered = true; });
  q3.reset();
  BOOST_TEST(!mx.has_value());  // never inside dns_lookup
  // The zone is read when the answer is due: a change in between is seen.
  zone->add_mx("example.org", 5, "new.example.org");
  BOOST_TEST_REQUIRE(f.run_until([&] { return mx && nx; }, Duration::seconds(1)));
  BOOST_TEST((answered_at - start) == Duration::milliseconds(1));
  BOOST_TEST_REQUIRE(mx->ok());
  BOOST_TEST_REQUIRE((*mx)->mx.size() == 3u);
  BOOST_TEST((*mx)->mx[2].preference == 5);
  BOOST_TEST(nx->error().code == ErrorCode::dns_nxdomain);
  f.run_for(Duration::milliseconds(5));
  BOOST_TEST(!dropped_answered);
}

BOOST_AUTO_TEST_CASE(host_ptr_lookups_pass_through_to_the_zone) {
  SimHostFixture f;
  auto zone = example_zone();
  zone->add_ptr(*IpAddress::parse("198.51.100.25"), "backup.example.net");
  f.ns3_host().set_dns_zone(zone);
  std::optional<Result<DnsAnswer>> ptr, missing;
  auto q1 = f.host().dns_lookup("198.51.100.25", DnsRecordType::ptr, [&](Result<DnsAnswer> r) { ptr = std::move(r); });
  auto q2 = f.host().dns_lookup("198.51.100.26", DnsRecordType::ptr,
                                [&](Result<DnsAnswer> r) { missing = std::move(r); });
  BOOST_TEST_REQUIRE(f.run_until([&] { return ptr && missing; }, Duration::seconds(1)));
  BOOST_TEST_REQUIRE(ptr->ok());
  BOOST_TEST(((*ptr)->names == std::vector<std::string>{"backup.example.net"}));
  BOOST_TEST(missing->error().code == ErrorCode::dns_nxdomain);
}

BOOST_AUTO_TEST_CASE(no_zone_is_a_temporary_failure) {
  SimHostFixture f;
  std::optional<Result<DnsAnswer>> answer;
  auto q = f.host().dns_lookup("example.org", DnsRecordType::a, [&](Result<DnsAnswer> r) { answer = std::move(r); });
  BOOST_TEST_REQUIRE(f.run_until([&] { return answer.has_value(); }, Duration::seconds(1)));
  BOOST_TEST_REQUIRE(!answer->ok());
  BOOST_TEST(answer->error().code == ErrorCode::dns_temporary);
  BOOST_TEST(answer->error().message == "no DNS configured for this node");
}

BOOST_AUTO_TEST_SUITE_END()
