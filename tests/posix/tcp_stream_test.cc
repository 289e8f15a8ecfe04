// Linux-specific TCP behaviour of PosixHost: what the shared conformance
// suite cannot check on every driver (kernel errors, source binding, real
// socket buffers filling up, bulk transfers).

#include <boost/test/unit_test.hpp>

#include "posix/posix_host_fixture.h"
#include "posix/result_text.h"
#include "support/root_precondition.h"

namespace tether::testing {
namespace {

using boost::unit_test::precondition;

// Deterministic, non-repeating bytes: a reordered or duplicated chunk shows.
Bytes pattern(std::size_t size, std::uint64_t seed) {
  Bytes out(size);
  std::uint64_t x = seed | 1;
  for (auto& b : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::uint8_t>(x);
  }
  return out;
}

struct Server {
  std::unique_ptr<TcpListener> listener;
  std::unique_ptr<TcpStream> stream;
};

Server listen_loopback(Host& host, IpAddress address) {
  Server s;
  auto l = host.tcp_listen(Endpoint(address, 0),
                           [&s](std::unique_ptr<TcpStream> accepted) { s.stream = std::move(accepted); });
  BOOST_REQUIRE_MESSAGE(l.ok(), result_text(l));
  s.listener = std::move(*l);
  return s;
}

BOOST_AUTO_TEST_SUITE(posix_tcp)

BOOST_AUTO_TEST_CASE(connect_refused_on_closed_port_is_reported_from_the_loop) {
  PosixHostFixture f;
  Endpoint target;
  {
    // A port that was just free: nothing listens there now.
    auto l = f.host().tcp_listen(Endpoint(f.loopback(), 0), [](std::unique_ptr<TcpStream>) {});
    BOOST_REQUIRE(l.ok());
    target = (*l)->local_endpoint();
  }
  std::optional<Result<void>> outcome;
  bool inside_call = true;
  bool called_inside = false;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) {
    called_inside = inside_call;
    outcome = r;
  };
  auto stream = f.host().tcp_connect(target, h);
  inside_call = false;
  BOOST_REQUIRE(f.run_until([&] { return outcome.has_value(); }, Duration::seconds(5)));
  BOOST_TEST(!called_inside);
  BOOST_REQUIRE(!outcome->ok());
  BOOST_TEST(to_string(outcome->error().code) == "connection_refused");
  BOOST_TEST(outcome->error().message.find(target.to_string()) != std::string::npos,
             outcome->error().message);
}

BOOST_AUTO_TEST_CASE(listen_on_a_port_in_use_names_the_endpoint) {
  PosixHostFixture f;
  auto first = f.host().tcp_listen(Endpoint(f.loopback(), 0), [](std::unique_ptr<TcpStream>) {});
  BOOST_REQUIRE(first.ok());
  Endpoint taken = (*first)->local_endpoint();
  auto second = f.host().tcp_listen(taken, [](std::unique_ptr<TcpStream>) {});
  BOOST_REQUIRE(!second.ok());
  BOOST_TEST(to_string(second.error().code) == "address_in_use");
  BOOST_TEST(second.error().message.find(taken.to_string()) != std::string::npos, second.error().message);
}

BOOST_AUTO_TEST_CASE(connect_binds_the_requested_source_address) {
  PosixHostFixture f;
  Server server = listen_loopback(f.host(), f.loopback());
  std::optional<Result<void>> connected;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) { connected = r; };
  TcpConnectOptions options;
  options.source = *IpAddress::parse("127.0.0.2");  // all of 127/8 is local on Linux
  auto client = f.host().tcp_connect(server.listener->local_endpoint(), h, options);
  BOOST_REQUIRE(f.run_until([&] { return connected && server.stream; }, Duration::seconds(5)));
  BOOST_REQUIRE_MESSAGE(connected->ok(), result_text(*connected));
  BOOST_TEST(client->local_endpoint().address().to_string() == "127.0.0.2");
  BOOST_TEST(server.stream->remote_endpoint().address().to_string() == "127.0.0.2");
  BOOST_TEST(server.stream->remote_endpoint() == client->local_endpoint());
}

BOOST_AUTO_TEST_CASE(connect_from_a_foreign_source_address_fails_from_the_loop) {
  PosixHostFixture f;
  Server server = listen_loopback(f.host(), f.loopback());
  std::optional<Result<void>> connected;
  bool inside_call = true;
  bool called_inside = false;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) {
    called_inside = inside_call;
    connected = r;
  };
  TcpConnectOptions options;
  options.source = *IpAddress::parse("192.0.2.99");  // TEST-NET-1: not an address of this host
  auto client = f.host().tcp_connect(server.listener->local_endpoint(), h, options);
  inside_call = false;
  BOOST_REQUIRE(f.run_until([&] { return connected.has_value(); }, Duration::seconds(5)));
  BOOST_TEST(!called_inside);
  BOOST_REQUIRE(!connected->ok());
  BOOST_TEST(to_string(connected->error().code) == "invalid_argument");
  BOOST_TEST(connected->error().message.find("192.0.2.99") != std::string::npos, connected->error().message);
}

BOOST_AUTO_TEST_CASE(connect_times_out_when_syns_vanish, *precondition(needs_root) * boost::unit_test::label("root")) {
  // Inside the fixture's private namespace, a TUN device swallows the SYNs:
  // the address is routable but nobody answers, like a dead relay.
  PosixHostFixture f;
  TunnelDeviceConfig config;
  config.name = "tthblack0";
  config.addresses.push_back(*IpPrefix::parse("198.18.2.1/24"));
  auto device = f.host().open_tunnel(config);
  BOOST_REQUIRE_MESSAGE(device.ok(), result_text(device));
  int syns = 0;
  (*device)->set_packet_handler([&](ByteView p) {
    if (p.size() >= 20 && (p[0] >> 4) == 4 && p[9] == 6 && p[16] == 198 && p[17] == 18 && p[18] == 2 &&
        p[19] == 2)
      ++syns;
  });
  std::optional<Result<void>> connected;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) { connected = r; };
  TcpConnectOptions options;
  options.timeout = Duration::milliseconds(300);
  Time start = f.host().now();
  auto client = f.host().tcp_connect(*Endpoint::parse("198.18.2.2:25"), h, options);
  BOOST_REQUIRE(f.run_until([&] { return connected.has_value(); }, Duration::seconds(10)));
  BOOST_REQUIRE(!connected->ok());
  BOOST_TEST(to_string(connected->error().code) == "timed_out");
  BOOST_TEST(connected->error().message.find("198.18.2.2:25") != std::string::npos,
             connected->error().message);
  BOOST_TEST((f.host().now() - start >= Duration::milliseconds(300)));
  BOOST_TEST(syns >= 1);
}

BOOST_AUTO_TEST_CASE(connect_without_a_route_is_host_unreachable, *precondition(needs_root) * boost::unit_test::label("root")) {
  PosixHostFixture f;  // a fresh namespace: loopback only, no default route
  std::optional<Result<void>> connected;
  TcpStream::Handlers h;
  h.on_connected = [&](Result<void> r) { connected = r; };
  auto client = f.host().tcp_connect(*Endpoint::parse("203.0.113.5:25"), h);
  BOOST_REQUIRE(f.run_until([&] { return connected.has_value(); }, Duration::seconds(5)));
  BOOST_REQUIRE(!connected->ok());
  BOOST_TEST(to_string(connected->error().code) == "host_unreachable", connected->error().to_string());
}

BOOST_AUTO_TEST_CASE(ten_megabytes_arrive_intact_and_half_close_works) {
  PosixHostFixture f;
  Server server = listen_loopback(f.host(), f.loopback());
  const Bytes sent = pattern(10 * 1000 * 1000, 42);

  Bytes received;
  std::optional<Error> server_closed;
  bool server_drained = false;
  Bytes reply;
  std::optional<Error> client_closed;
  int client_drained = 0;
  bool connected = false;

  TcpStream::Handlers ch;
  ch.on_connected = [&](Result<void> r) { connected = r.ok(); };
  ch.on_data = [&](ByteView d) { append(reply, d); };
  ch.on_drained = [&] { ++client_drained; };
  ch.on_closed = [&](const Error& e) { client_closed = e; };
  auto client = f.host().tcp_connect(server.listener->local_endpoint(), ch);
  // Written before the connection exists, in uneven pieces: the queue keeps
  // them and their order.
  std::size_t offset = 0;
  for (std::size_t piece = 1; offset < sent.size(); piece = piece * 3 % 65521 + 1) {
    std::size_t n = std::min(piece, sent.size() - offset);
    client->write(ByteView(sent.data() + offset, n));
    offset += n;
  }
  BOOST_TEST(client->pending_write_bytes() == sent.size());
  client->shutdown_write();

  BOOST_REQUIRE(f.run_until([&] { return server.stream != nullptr; }, Duration::seconds(5)));
  TcpStream::Handlers sh;
  sh.on_data = [&](ByteView d) { append(received, d); };
  sh.on_drained = [&] {
    server_drained = true;
    server.stream->close();
  };
  sh.on_closed = [&](const Error& e) {
    server_closed = e;
    // The peer's FIN ends only its direction: answering is still allowed.
    server.stream->write(ByteView(std::string_view("OK\r\n")));
    server.stream->shutdown_write();
  };
  server.stream->set_handlers(sh);

  BOOST_REQUIRE(f.run_until([&] { return client_closed.has_value(); }, Duration::seconds(60)));
  BOOST_TEST(connected);
  BOOST_REQUIRE(server_closed.has_value());
  BOOST_TEST(to_string(server_closed->code) == "closed");
  BOOST_TEST(server_closed->message == "peer closed the connection");
  BOOST_TEST(received.size() == sent.size());
  BOOST_TEST((received == sent));
  BOOST_TEST(client_drained >= 1);
  BOOST_TEST(client->pending_write_bytes() == 0u);
  BOOST_TEST(server_drained);
  BOOST_TEST(ByteView(reply).as_string() == "OK\r\n");
  BOOST_TEST(to_string(client_closed->code) == "closed");
}

BOOST_AUTO_TEST_CASE(set_reading_false_pushes_back_on_the_sender) {
  PosixHostFixture f;
  Server server = listen_loopback(f.host(), f.loopback());
  // More than loopback's socket buffers can hold (a few MB each way), so a
  // paused reader must leave some of it queued at the sender.
  const Bytes sent = pattern(24 * 1000 * 1000, 7);
  Bytes received;
  int data_calls = 0;
  bool paused_inside_callback = false;

  TcpStream::Handlers ch;
  auto client = f.host().tcp_connect(server.listener->local_endpoint(), ch);
  client->write(sent);
  BOOST_REQUIRE(f.run_until([&] { return server.stream != nullptr; }, Duration::seconds(5)));

  TcpStream::Handlers sh;
  sh.on_data = [&](ByteView d) {
    ++data_calls;
    append(received, d);
    if (!paused_inside_callback && received.size() >= sent.size() / 3) {
      paused_inside_callback = true;
      server.stream->set_reading(false);
    }
  };
  server.stream->set_handlers(sh);
  server.stream->set_reading(false);  // before anything was read

  // Paused from the start: nothing is delivered and the sender backs up.
  f.run_for(Duration::milliseconds(300));
  BOOST_TEST(data_calls == 0);
  BOOST_TEST(client->pending_write_bytes() > 0u);

  server.stream->set_reading(true);
  BOOST_REQUIRE(f.run_until([&] { return paused_inside_callback; }, Duration::seconds(30)));
  // Paused from inside on_data: no further call until resumed, even though
  // the kernel has more bytes ready.
  const int calls_at_pause = data_calls;
  const std::size_t bytes_at_pause = received.size();
  f.run_for(Duration::milliseconds(300));
  BOOST_TEST(data_calls == calls_at_pause);
  BOOST_TEST(received.size() == bytes_at_pause);
  BOOST_TEST(client->pending_write_bytes() > 0u);

  server.stream->set_reading(true);
  BOOST_REQUIRE(f.run_until([&] { return received.size() >= sent.size(); }, Duration::seconds(60)));
  BOOST_TEST((received == sent));
  BOOST_REQUIRE(f.run_until([&] { return client->pending_write_bytes() == 0; }, Duration::seconds(5)));
}

BOOST_AUTO_TEST_CASE(accepted_stream_reads_nothing_before_set_handlers) {
  PosixHostFixture f;
  Server server = listen_loopback(f.host(), f.loopback());
  TcpStream::Handlers ch;
  auto client = f.host().tcp_connect(server.listener->local_endpoint(), ch);
  client->write(ByteView(std::string_view("EHLO early\r\n")));
  BOOST_REQUIRE(f.run_until([&] { return server.stream != nullptr; }, Duration::seconds(5)));
  // The bytes arrive while no handler exists; they must wait in the kernel.
  BOOST_REQUIRE(f.run_until([&] { return client->pending_write_bytes() == 0; }, Duration::seconds(5)));
  f.run_for(Duration::milliseconds(50));
  Bytes received;
  TcpStream::Handlers sh;
  sh.on_data = [&](ByteView d) { append(received, d); };
  server.stream->set_handlers(sh);
  BOOST_REQUIRE(f.run_until([&] { return received.size() >= 12; }, Duration::seconds(5)));
  BOOST_TEST(ByteView(received).as_string() == "EHLO early\r\n");
}

BOOST_AUTO_TEST_CASE(peer_reset_is_connection_reset) {
  PosixHostFixture f;
  Server server = listen_loopback(f.host(), f.loopback());
  std::optional<Error> closed;
  TcpStream::Handlers ch;
  ch.on_closed = [&](const Error& e) { closed = e; };
  auto client = f.host().tcp_connect(server.listener->local_endpoint(), ch);
  client->write(ByteView(std::string_view("x")));
  BOOST_REQUIRE(f.run_until([&] { return server.stream != nullptr; }, Duration::seconds(5)));
  // Closing with unread data makes Linux answer with RST instead of FIN.
  BOOST_REQUIRE(f.run_until([&] { return client->pending_write_bytes() == 0; }, Duration::seconds(5)));
  server.stream.reset();
  BOOST_REQUIRE(f.run_until([&] { return closed.has_value(); }, Duration::seconds(5)));
  BOOST_TEST(to_string(closed->code) == "connection_reset", closed->to_string());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::testing
