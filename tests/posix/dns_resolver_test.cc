// DNS through PosixHost: MX/A/PTR/NXDOMAIN/NODATA against a real dnsmasq in a
// private namespace, and the failure paths (refused, silent server,
// cancellation) against sockets the test controls.

#include <stdlib.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "support/child_process.h"
#include "posix/posix_host_fixture.h"
#include "posix/result_text.h"
#include "support/root_precondition.h"

namespace tether::testing {
namespace {

using boost::unit_test::precondition;

// A dnsmasq authoritative for example.org and the reverse zones of
// 192.0.2.0/24 and 2001:db8::/32 only, listening on the loopback of the
// fixture's namespace. Destroying it kills that one process by PID.
std::unique_ptr<ChildProcess> start_dnsmasq(const std::string& netns) {
  auto spawned = ChildProcess::spawn({
      "ip",
      "netns",
      "exec",
      netns,
      "/usr/sbin/dnsmasq",
      "--no-daemon",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--bind-interfaces",
      "--listen-address=127.0.0.1",
      "--port=53",
      "--user=root",
      "--pid-file=",
      "--log-facility=-",
      // Names under example.org that are not listed are NXDOMAIN, never forwarded.
      "--local=/example.org/",
      "--local=/2.0.192.in-addr.arpa/",
      "--local=/8.b.d.0.1.0.0.2.ip6.arpa/",
      "--mx-host=example.org,mx1.example.org,10",
      "--mx-host=example.org,mx2.example.org,100",
      "--host-record=mx1.example.org,192.0.2.10",
      "--host-record=mx2.example.org,192.0.2.20,2001:db8::20",
      // A host-record makes the PTR records too; a ptr-record only the PTR.
      "--host-record=mail.example.org,192.0.2.25,2001:db8::25",
      "--ptr-record=30.2.0.192.in-addr.arpa,old-name.example.org",
  });
  BOOST_REQUIRE_MESSAGE(spawned.ok(), result_text(spawned));
  auto child = std::move(*spawned);
  // dnsmasq logs "started" once its sockets are bound.
  BOOST_REQUIRE_MESSAGE(child->wait_for_output("started, version", Duration::seconds(10)),
                        "dnsmasq did not start: " + child->output());
  return child;
}

Result<DnsAnswer> resolve(HostFixture& f, const std::string& name, DnsRecordType type,
                          Duration limit = Duration::seconds(10)) {
  std::optional<Result<DnsAnswer>> result;
  bool inside_call = true;
  bool called_inside = false;
  auto handle = f.host().dns_lookup(name, type, [&](Result<DnsAnswer> r) {
    called_inside = inside_call;
    result = std::move(r);
  });
  inside_call = false;
  BOOST_REQUIRE_MESSAGE(f.run_until([&] { return result.has_value(); }, limit),
                        "no answer for " << to_string(type) << " " << name);
  BOOST_TEST(!called_inside);
  return std::move(*result);
}

posix::PosixHostOptions with_nameserver(const Endpoint& server) {
  posix::PosixHostOptions options;
  options.dns_nameserver = server;
  options.dns_timeout = Duration::milliseconds(200);
  options.dns_attempts = 2;
  return options;
}

// A second host on the fixture's loop (and namespace) whose nameserver is
// an endpoint only known once the fixture is running.
struct ExtraHost {
  ExtraHost(PosixHostFixture& f, const Endpoint& server) {
    auto options = with_nameserver(server);
    char dir[] = "/tmp/tether-posix-dns-XXXXXX";
    BOOST_REQUIRE(::mkdtemp(dir));
    storage = dir;
    options.storage_root = storage;
    host = std::make_unique<posix::PosixHost>(f.posix_host().io_context(), options);
  }
  ~ExtraHost() {
    host.reset();
    std::error_code ignored;
    std::filesystem::remove_all(storage, ignored);
  }
  std::string storage;
  std::unique_ptr<posix::PosixHost> host;
};

BOOST_AUTO_TEST_SUITE(posix_dns)

BOOST_AUTO_TEST_CASE(dnsmasq_answers_mx_a_nxdomain_and_nodata, *precondition(needs_root) * boost::unit_test::label("root")) {
  PosixHostFixture f(with_nameserver(*Endpoint::parse("127.0.0.1:53")));
  auto dnsmasq = start_dnsmasq(f.netns_name());

  auto mx = resolve(f, "example.org", DnsRecordType::mx);
  BOOST_REQUIRE_MESSAGE(mx.ok(), result_text(mx));
  auto records = mx->mx;
  std::sort(records.begin(), records.end(),
            [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });
  BOOST_REQUIRE(records.size() == 2u);
  BOOST_TEST(records[0].preference == 10);
  BOOST_TEST(records[0].exchange == "mx1.example.org");
  BOOST_TEST(records[1].preference == 100);
  BOOST_TEST(records[1].exchange == "mx2.example.org");
  BOOST_TEST(mx->ttl.whole_seconds() >= 0);

  // A trailing dot means the same name.
  auto a = resolve(f, "mx1.example.org.", DnsRecordType::a);
  BOOST_REQUIRE_MESSAGE(a.ok(), result_text(a));
  BOOST_REQUIRE(a->addresses.size() == 1u);
  BOOST_TEST(a->addresses[0].to_string() == "192.0.2.10");

  auto aaaa = resolve(f, "mx2.example.org", DnsRecordType::aaaa);
  BOOST_REQUIRE_MESSAGE(aaaa.ok(), result_text(aaaa));
  BOOST_REQUIRE(aaaa->addresses.size() == 1u);
  BOOST_TEST(aaaa->addresses[0].to_string() == "2001:db8::20");

  auto missing = resolve(f, "nosuch.example.org", DnsRecordType::mx);
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(to_string(missing.error().code) == "dns_nxdomain", missing.error().to_string());
  BOOST_TEST(missing.error().message.find("nosuch.example.org") != std::string::npos);

  auto nodata = resolve(f, "mx1.example.org", DnsRecordType::aaaa);
  BOOST_REQUIRE(!nodata.ok());
  BOOST_TEST(to_string(nodata.error().code) == "dns_no_data", nodata.error().to_string());
}

BOOST_AUTO_TEST_CASE(dnsmasq_answers_ptr_and_nxdomain, *precondition(needs_root) * boost::unit_test::label("root")) {
  PosixHostFixture f(with_nameserver(*Endpoint::parse("127.0.0.1:53")));
  auto dnsmasq = start_dnsmasq(f.netns_name());

  auto v4 = resolve(f, "192.0.2.25", DnsRecordType::ptr);
  BOOST_REQUIRE_MESSAGE(v4.ok(), result_text(v4));
  BOOST_TEST((v4->names == std::vector<std::string>{"mail.example.org"}));
  BOOST_TEST(v4->addresses.empty());

  auto v6 = resolve(f, "2001:db8::25", DnsRecordType::ptr);
  BOOST_REQUIRE_MESSAGE(v6.ok(), result_text(v6));
  BOOST_TEST((v6->names == std::vector<std::string>{"mail.example.org"}));

  // A bare PTR: the name need not lead back (forward confirmation is the
  // relay's business).
  auto bare = resolve(f, "192.0.2.30", DnsRecordType::ptr);
  BOOST_REQUIRE_MESSAGE(bare.ok(), result_text(bare));
  BOOST_TEST((bare->names == std::vector<std::string>{"old-name.example.org"}));
  auto forward = resolve(f, "old-name.example.org", DnsRecordType::a);
  BOOST_REQUIRE_MESSAGE(!forward.ok(), result_text(forward));
  BOOST_TEST(to_string(forward.error().code) == "dns_nxdomain", forward.error().to_string());

  auto missing = resolve(f, "192.0.2.99", DnsRecordType::ptr);
  BOOST_REQUIRE(!missing.ok());
  BOOST_TEST(to_string(missing.error().code) == "dns_nxdomain", missing.error().to_string());
  BOOST_TEST(missing.error().message.find("99.2.0.192.in-addr.arpa") != std::string::npos, missing.error().message);
  auto missing6 = resolve(f, "2001:db8::99", DnsRecordType::ptr);
  BOOST_REQUIRE_MESSAGE(!missing6.ok(), result_text(missing6));
  BOOST_TEST(to_string(missing6.error().code) == "dns_nxdomain", missing6.error().to_string());

  auto not_an_address = resolve(f, "mail.example.org", DnsRecordType::ptr);
  BOOST_REQUIRE(!not_an_address.ok());
  BOOST_TEST(to_string(not_an_address.error().code) == "invalid_argument", not_an_address.error().to_string());
}

BOOST_AUTO_TEST_CASE(nobody_listening_is_a_temporary_failure) {
  PosixHostFixture f;
  Endpoint closed;
  {
    auto probe = f.host().udp_bind(Endpoint(f.loopback(), 0));
    BOOST_REQUIRE(probe.ok());
    closed = (*probe)->local_endpoint();
  }
  ExtraHost extra(f, closed);
  std::optional<Result<DnsAnswer>> result;
  auto handle =
      extra.host->dns_lookup("example.org", DnsRecordType::mx, [&](Result<DnsAnswer> r) { result = r; });
  BOOST_REQUIRE(f.run_until([&] { return result.has_value(); }, Duration::seconds(5)));
  BOOST_REQUIRE(!result->ok());
  BOOST_TEST(to_string(result->error().code) == "dns_temporary", result->error().to_string());
  BOOST_TEST(result->error().message.find(closed.to_string()) != std::string::npos, result->error().message);
}

BOOST_AUTO_TEST_CASE(silent_server_times_out_after_retrying) {
  PosixHostFixture f;
  auto sink = f.host().udp_bind(Endpoint(f.loopback(), 0));
  BOOST_REQUIRE(sink.ok());
  std::vector<Bytes> queries;
  (*sink)->set_receive_handler([&](const Endpoint&, ByteView q) { queries.push_back(q.to_bytes()); });
  ExtraHost extra(f, (*sink)->local_endpoint());

  std::optional<Result<DnsAnswer>> result;
  auto handle =
      extra.host->dns_lookup("example.org", DnsRecordType::a, [&](Result<DnsAnswer> r) { result = r; });
  BOOST_REQUIRE(f.run_until([&] { return result.has_value(); }, Duration::seconds(5)));
  BOOST_REQUIRE(!result->ok());
  BOOST_TEST(to_string(result->error().code) == "dns_temporary", result->error().to_string());
  BOOST_REQUIRE(queries.size() == 2u);  // the first attempt and one retry
  BOOST_TEST((queries[0] == queries[1]));
}

BOOST_AUTO_TEST_CASE(stray_replies_are_ignored_and_the_real_one_is_taken) {
  PosixHostFixture f;
  auto server = f.host().udp_bind(Endpoint(f.loopback(), 0));
  BOOST_REQUIRE(server.ok());
  UdpSocket& s = **server;
  s.set_receive_handler([&](const Endpoint& from, ByteView q) {
    Bytes reply = q.to_bytes();
    reply[2] |= 0x80;  // QR: a response
    reply[3] = 0x03;   // NXDOMAIN
    Bytes wrong_id = reply;
    wrong_id[0] ^= 0xff;
    BOOST_TEST(s.send_to(from, wrong_id).ok());
    BOOST_TEST(s.send_to(from, reply).ok());
  });
  ExtraHost extra(f, s.local_endpoint());
  std::optional<Result<DnsAnswer>> result;
  auto handle =
      extra.host->dns_lookup("gone.example", DnsRecordType::mx, [&](Result<DnsAnswer> r) { result = r; });
  BOOST_REQUIRE(f.run_until([&] { return result.has_value(); }, Duration::seconds(5)));
  BOOST_REQUIRE(!result->ok());
  BOOST_TEST(to_string(result->error().code) == "dns_nxdomain", result->error().to_string());
}

BOOST_AUTO_TEST_CASE(destroying_a_lookup_cancels_it) {
  PosixHostFixture f;
  auto sink = f.host().udp_bind(Endpoint(f.loopback(), 0));
  BOOST_REQUIRE(sink.ok());
  int queries = 0;
  (*sink)->set_receive_handler([&](const Endpoint&, ByteView) { ++queries; });
  ExtraHost extra(f, (*sink)->local_endpoint());
  bool called = false;
  auto handle =
      extra.host->dns_lookup("example.org", DnsRecordType::mx, [&](Result<DnsAnswer>) { called = true; });
  BOOST_REQUIRE(f.run_until([&] { return queries == 1; }, Duration::seconds(5)));
  handle.reset();
  // Past every attempt's timeout: a live lookup would have reported by now.
  f.run_for(Duration::milliseconds(600));
  BOOST_TEST(!called);
  BOOST_TEST(queries == 1);

  // The same for a lookup that fails before any I/O (an invalid name).
  auto invalid = extra.host->dns_lookup(std::string(300, 'a'), DnsRecordType::a,
                                        [&](Result<DnsAnswer>) { called = true; });
  invalid.reset();
  f.run_for(Duration::milliseconds(50));
  BOOST_TEST(!called);
}

BOOST_AUTO_TEST_CASE(invalid_names_fail_from_the_loop) {
  PosixHostFixture f(with_nameserver(*Endpoint::parse("127.0.0.1:53")));
  auto r = resolve(f, std::string(70, 'x') + ".example", DnsRecordType::mx);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(to_string(r.error().code) == "invalid_argument", r.error().to_string());
}

BOOST_AUTO_TEST_CASE(system_resolver_reads_etc_hosts) {
  PosixHostFixture f;  // no explicit nameserver: getaddrinfo
  auto r = resolve(f, "localhost", DnsRecordType::a);
  BOOST_REQUIRE_MESSAGE(r.ok(), result_text(r));
  auto& addresses = r->addresses;
  BOOST_TEST(
      (std::find(addresses.begin(), addresses.end(), *IpAddress::parse("127.0.0.1")) != addresses.end()));
  for (const auto& a : addresses) BOOST_TEST(a.is_v4());
}

BOOST_AUTO_TEST_CASE(system_resolver_reverse_reads_etc_hosts) {
  PosixHostFixture f;  // no explicit nameserver: getnameinfo on a worker thread
  auto r = resolve(f, "127.0.0.1", DnsRecordType::ptr);
  BOOST_REQUIRE_MESSAGE(r.ok(), result_text(r));
  BOOST_REQUIRE(r->names.size() == 1u);
  BOOST_TEST(r->names[0] == "localhost");  // /etc/hosts' first name for it
  BOOST_TEST(r->ttl == Duration::zero());

  auto invalid = resolve(f, "localhost", DnsRecordType::ptr);
  BOOST_REQUIRE(!invalid.ok());
  BOOST_TEST(to_string(invalid.error().code) == "invalid_argument", invalid.error().to_string());

  // Dropped while the worker may be at it: the handler never runs, and the
  // host (joining its workers) is destroyed cleanly after.
  bool called = false;
  auto dropped = f.host().dns_lookup("127.0.0.1", DnsRecordType::ptr, [&](Result<DnsAnswer>) { called = true; });
  dropped.reset();
  f.run_for(Duration::milliseconds(200));
  BOOST_TEST(!called);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::testing
