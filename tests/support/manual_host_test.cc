// The manual-clock Host's own DNS table: what set_dns stores is what
// dns_lookup answers, after the table's delay, PTR by address included.

#include <boost/test/unit_test.hpp>

#include <optional>

#include "support/manual_host.h"
#include "support/manual_world.h"

using namespace tether;
using namespace tether::testing;

namespace {

DnsAnswer names(std::vector<std::string> n) {
  DnsAnswer answer;
  answer.names = std::move(n);
  answer.ttl = Duration::seconds(300);
  return answer;
}

Result<DnsAnswer> lookup(ManualWorld& world, ManualHost& host, const std::string& name, DnsRecordType type) {
  std::optional<Result<DnsAnswer>> result;
  auto q = host.dns_lookup(name, type, [&](Result<DnsAnswer> r) { result = std::move(r); });
  BOOST_TEST(!result.has_value());  // never inside dns_lookup
  BOOST_TEST_REQUIRE(world.run_until([&] { return result.has_value(); }, Duration::seconds(100)));
  return std::move(*result);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(manual_host_dns)

BOOST_AUTO_TEST_CASE(ptr_answers_by_address_in_any_spelling) {
  ManualWorld world;
  world.set_latency(Duration::milliseconds(5));
  ManualHost host(world);
  host.set_dns("192.0.2.1", DnsRecordType::ptr, names({"mail.example.net"}));
  host.set_dns("2001:DB8:0::25", DnsRecordType::ptr, names({"v6.example.net", "other.example.net"}));
  host.set_dns("192.0.2.2", DnsRecordType::ptr, Error(ErrorCode::dns_temporary, "SERVFAIL"));

  const Time start = world.now();
  auto v4 = lookup(world, host, "192.0.2.1", DnsRecordType::ptr);
  BOOST_TEST(world.now() - start == Duration::milliseconds(10));  // a round trip
  BOOST_TEST_REQUIRE(v4.ok());
  BOOST_TEST((v4->names == std::vector<std::string>{"mail.example.net"}));

  auto v6 = lookup(world, host, "2001:db8::25", DnsRecordType::ptr);
  BOOST_TEST_REQUIRE(v6.ok());
  BOOST_TEST((v6->names == std::vector<std::string>{"v6.example.net", "other.example.net"}));

  BOOST_TEST(lookup(world, host, "192.0.2.2", DnsRecordType::ptr).error().code == ErrorCode::dns_temporary);
  BOOST_TEST(lookup(world, host, "192.0.2.3", DnsRecordType::ptr).error().code == ErrorCode::dns_nxdomain);
  // A PTR record is not an A record of a name that looks like an address.
  BOOST_TEST(lookup(world, host, "192.0.2.1", DnsRecordType::a).error().code == ErrorCode::dns_nxdomain);
  BOOST_TEST(lookup(world, host, "mail.example.net", DnsRecordType::ptr).error().code ==
             ErrorCode::invalid_argument);
}

BOOST_AUTO_TEST_CASE(dns_delay_holds_answers_and_dropping_a_lookup_cancels_it) {
  ManualWorld world;
  ManualHost host(world);
  host.set_dns("192.0.2.1", DnsRecordType::ptr, names({"mail.example.net"}));
  host.set_dns_delay(Duration::seconds(30));
  const Time start = world.now();
  bool dropped_answered = false;
  auto dropped = host.dns_lookup("192.0.2.1", DnsRecordType::ptr, [&](Result<DnsAnswer>) { dropped_answered = true; });
  dropped.reset();
  auto answer = lookup(world, host, "192.0.2.1", DnsRecordType::ptr);
  BOOST_TEST(world.now() - start == Duration::seconds(30));
  BOOST_TEST(answer.ok());
  world.run_for(Duration::seconds(60));
  BOOST_TEST(!dropped_answered);
}

BOOST_AUTO_TEST_SUITE_END()
