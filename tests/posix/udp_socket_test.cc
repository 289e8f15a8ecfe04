// UDP through PosixHost on the kernel's loopback: sizes and families the
// WireGuard transport needs, and the errors a misconfiguration produces.

#include <boost/test/unit_test.hpp>

#include "posix/posix_host_fixture.h"
#include "posix/result_text.h"
#include "support/test_skip.h"

namespace tether::testing {
namespace {

BOOST_AUTO_TEST_SUITE(posix_udp)

BOOST_AUTO_TEST_CASE(binding_a_bound_port_is_address_in_use_naming_the_endpoint) {
  PosixHostFixture f;
  auto first = f.host().udp_bind(Endpoint(f.loopback(), 0));
  BOOST_REQUIRE(first.ok());
  Endpoint taken = (*first)->local_endpoint();
  BOOST_TEST(taken.port() != 0);
  auto second = f.host().udp_bind(taken);
  BOOST_REQUIRE(!second.ok());
  BOOST_TEST(to_string(second.error().code) == "address_in_use");
  BOOST_TEST(second.error().message.find(taken.to_string()) != std::string::npos, second.error().message);
}

BOOST_AUTO_TEST_CASE(largest_datagram_arrives_whole) {
  PosixHostFixture f;
  auto a = f.host().udp_bind(Endpoint(f.loopback(), 0));
  auto b = f.host().udp_bind(Endpoint(f.loopback(), 0));
  BOOST_REQUIRE(a.ok() && b.ok());
  Bytes big(65507);  // the IPv4 maximum: 65535 - 20 (IP) - 8 (UDP)
  f.host().random_bytes(big);
  std::vector<Bytes> got;
  Endpoint from;
  (*b)->set_receive_handler([&](const Endpoint& e, ByteView p) {
    from = e;
    got.push_back(p.to_bytes());
  });
  BOOST_REQUIRE((*a)->send_to((*b)->local_endpoint(), big).ok());
  BOOST_REQUIRE((*a)->send_to((*b)->local_endpoint(), Bytes{1, 2, 3}).ok());
  BOOST_REQUIRE(f.run_until([&] { return got.size() == 2; }, Duration::seconds(5)));
  BOOST_TEST((got[0] == big));
  BOOST_TEST((got[1] == Bytes{1, 2, 3}));
  BOOST_TEST(from == (*a)->local_endpoint());

  // One byte more cannot be sent, and the error says so instead of
  // pretending the datagram left.
  Bytes too_big(65508);
  auto r = (*a)->send_to((*b)->local_endpoint(), too_big);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find((*b)->local_endpoint().to_string()) != std::string::npos,
             r.error().message);
}

BOOST_AUTO_TEST_CASE(a_burst_larger_than_one_wakeup_is_delivered_in_order) {
  PosixHostFixture f;
  auto a = f.host().udp_bind(Endpoint(f.loopback(), 0));
  auto b = f.host().udp_bind(Endpoint(f.loopback(), 0));
  BOOST_REQUIRE(a.ok() && b.ok());
  std::vector<std::uint32_t> seen;
  (*b)->set_receive_handler([&](const Endpoint&, ByteView p) { seen.push_back(load_be32(p.data())); });
  // More datagrams than the receive loop handles per readiness event, sent
  // before the loop runs, so draining must continue across wake-ups.
  const std::uint32_t count = 200;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint8_t payload[4];
    store_be32(payload, i);
    BOOST_REQUIRE((*a)->send_to((*b)->local_endpoint(), ByteView(payload, 4)).ok());
  }
  BOOST_REQUIRE(f.run_until([&] { return seen.size() == count; }, Duration::seconds(5)));
  for (std::uint32_t i = 0; i < count; ++i) BOOST_TEST(seen[i] == i);
}

BOOST_AUTO_TEST_CASE(ipv6_loopback_and_family_mismatch) {
  PosixHostFixture f;
  auto v6 = f.host().udp_bind(*Endpoint::parse("[::1]:0"));
  if (!v6.ok()) {
    skip("no IPv6 loopback here: " + v6.error().to_string());
    return;
  }
  auto peer = f.host().udp_bind(*Endpoint::parse("[::1]:0"));
  BOOST_REQUIRE(peer.ok());
  std::optional<Endpoint> from;
  (*peer)->set_receive_handler([&](const Endpoint& e, ByteView) { from = e; });
  BOOST_REQUIRE((*v6)->send_to((*peer)->local_endpoint(), Bytes{9}).ok());
  BOOST_REQUIRE(f.run_until([&] { return from.has_value(); }, Duration::seconds(5)));
  BOOST_TEST(from->to_string() == (*v6)->local_endpoint().to_string());

  // An IPv6 socket cannot reach an IPv4 address (no dual-stack sockets).
  auto r = (*v6)->send_to(*Endpoint::parse("127.0.0.1:9"), Bytes{1});
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message.find("127.0.0.1:9") != std::string::npos, r.error().message);
}

BOOST_AUTO_TEST_CASE(handler_may_destroy_its_socket) {
  PosixHostFixture f;
  auto a = f.host().udp_bind(Endpoint(f.loopback(), 0));
  auto b = f.host().udp_bind(Endpoint(f.loopback(), 0));
  BOOST_REQUIRE(a.ok() && b.ok());
  std::unique_ptr<UdpSocket> receiver = std::move(*b);
  int calls = 0;
  receiver->set_receive_handler([&](const Endpoint&, ByteView) {
    ++calls;
    receiver.reset();  // tear down from inside the callback
  });
  Endpoint to = receiver->local_endpoint();
  for (int i = 0; i < 5; ++i) BOOST_REQUIRE((*a)->send_to(to, Bytes{1}).ok());
  BOOST_REQUIRE(f.run_until([&] { return calls > 0; }, Duration::seconds(5)));
  f.run_for(Duration::milliseconds(50));
  BOOST_TEST(calls == 1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::testing
