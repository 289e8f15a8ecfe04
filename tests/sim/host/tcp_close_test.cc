// The segments the simulated Linux sends when the peer closes first: an
// SMTP client that reads the server's 221 (with the server's FIN, or
// before it) and closes. Linux (tcp_fin: CLOSE_WAIT and pingpong mode, so
// __tcp_ack_snd_check delays the ACK; tcp_close then sends FIN+ACK, and
// tcp_event_ack_sent stops the delayed ACK) sends one FIN+ACK when the app
// closes at once, and the FIN's ACK after the delayed-ACK timeout
// (TCP_ATO_MIN, 40 ms) when it closes later. ns-3 ACKs the FIN at once, and
// again after an app that closed while the segment was being processed.

#include <ns3/simulator.h>
#include <ns3/tcp-header.h>

#include <boost/test/unit_test.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/host/ns3_host.h"
#include "sim/host/sim_host_fixture.h"

using namespace tether;
using namespace tether::testing;

namespace {

const IpAddress kServer = *IpAddress::parse("192.0.2.2");

struct Segment {
  int from;  // 0 the client, 1 the server
  Duration at;
  std::uint8_t flags;  // FIN, SYN, RST, ACK; PSH left out
  std::uint32_t seq, ack, length;

  bool pure_ack() const { return flags == ns3::TcpHeader::ACK && length == 0; }
  bool fin() const { return flags & ns3::TcpHeader::FIN; }
  std::string describe() const {
    return std::string(from == 0 ? "client " : "server ") + format_duration(at) + " " +
           ns3::TcpHeader::FlagsToString(flags) + " seq " + std::to_string(seq) + " ack " +
           std::to_string(ack) + " len " + std::to_string(length);
  }
};

std::string describe(const std::vector<Segment>& segments) {
  std::string out;
  for (const Segment& s : segments) out += "\n  " + s.describe();
  return out;
}

Duration now() {
  return Duration::nanoseconds(ns3::Simulator::Now().GetNanoSeconds());
}

// A client (alpha) and a server (bravo) on a 10 ms link; every TCP
// segment either sends is recorded as it goes on the wire.
struct CloseWorld : TwoHostLink {
  std::vector<Segment> segments;
  std::unique_ptr<TcpListener> listener;
  std::unique_ptr<TcpStream> server, client;

  CloseWorld() : TwoHostLink("100Mbps", "10ms") {
    for (int i = 0; i < 2; ++i)
      link.Get(i)->TraceConnectWithoutContext("MacTx",
                                              ns3::MakeBoundCallback(&CloseWorld::on_transmit, this, i));
  }
  ~CloseWorld() {
    // While `segments` still exists: closing may send (MacTx).
    client.reset();
    server.reset();
    listener.reset();
    alpha.reset();
    bravo.reset();
  }

  static void on_transmit(CloseWorld* world, int from, ns3::Ptr<const ns3::Packet> packet) {
    const std::optional<TcpSegmentOnWire> segment = tcp_segment_on_wire(packet);
    if (!segment) return;
    const ns3::TcpHeader& tcp = segment->header;
    const std::uint8_t flags = tcp.GetFlags() & ~(ns3::TcpHeader::PSH);
    world->segments.push_back(Segment{from, now(), flags, tcp.GetSequenceNumber().GetValue(),
                                      tcp.GetAckNumber().GetValue(), segment->payload_size});
  }

  // The server answers the client's QUIT with a 221; `server_closes`
  // then closes (its FIN goes with the 221) or leaves the connection open.
  void start_session(bool server_closes) {
    auto accepted =
        bravo->tcp_listen(Endpoint(kServer, 25), [this, server_closes](std::unique_ptr<TcpStream> s) {
          server = std::move(s);
          TcpStream::Handlers h;
          h.on_data = [this, server_closes](ByteView) {
            server->write(ByteView(std::string_view("221 2.0.0 Bye\r\n")));
            if (server_closes) server->close();
          };
          h.on_closed = [this](const Error&) { server->close(); };
          server->set_handlers(std::move(h));
        });
    BOOST_TEST_REQUIRE(accepted.ok());
    listener = std::move(*accepted);
  }

  void connect_and_quit(TcpStream::Handlers h) {
    h.on_connected = [this](Result<void> r) {
      BOOST_TEST_REQUIRE(r.ok());
      client->write(ByteView(std::string_view("QUIT\r\n")));
    };
    client = alpha->tcp_connect(Endpoint(kServer, 25), std::move(h));
  }

  // The client's segments from the server's first FIN on.
  std::vector<Segment> client_after_server_fin() const {
    std::vector<Segment> out;
    bool fin_seen = false;
    for (const Segment& s : segments) {
      if (s.from == 1 && s.fin()) fin_seen = true;
      if (fin_seen && s.from == 0) out.push_back(s);
    }
    return out;
  }
  const Segment* server_fin() const {
    for (const Segment& s : segments)
      if (s.from == 1 && s.fin()) return &s;
    return nullptr;
  }
};

// The server's FIN is acknowledged when the client's segment acks one past
// the FIN's sequence (the FIN takes one).
bool acks_fin(const Segment& client, const Segment& fin) {
  return client.ack == fin.seq + fin.length + 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp_close)

BOOST_AUTO_TEST_CASE(a_client_that_closes_on_reading_the_221_and_fin_sends_one_fin_ack) {
  CloseWorld w;
  w.start_session(true);
  TcpStream::Handlers h;
  bool read_221 = false;
  h.on_data = [&](ByteView data) {
    if (std::string(data.begin(), data.end()).rfind("221", 0) != 0) return;
    read_221 = true;
    w.client->close();  // as soon as the reply is read, as tetherd's client does
  };
  w.connect_and_quit(std::move(h));
  BOOST_TEST_REQUIRE(w.run.run_until([&] { return read_221; }, Duration::seconds(5)));
  w.run.run_for(Duration::seconds(5));

  const Segment* fin = w.server_fin();
  BOOST_TEST_REQUIRE(fin != nullptr, describe(w.segments));
  BOOST_TEST(fin->length > 0u, "the 221 and the FIN in one segment" << describe(w.segments));
  const std::vector<Segment> after = w.client_after_server_fin();
  BOOST_TEST_REQUIRE(after.size() == 1u, "the client's segments after the server's FIN:" << describe(after));
  BOOST_TEST(after[0].fin());
  BOOST_TEST((after[0].flags & ns3::TcpHeader::ACK) != 0);
  BOOST_TEST(acks_fin(after[0], *fin), describe(w.segments));
  // Sent when the FIN arrived (one link delay later), and the server's ACK
  // of it is the last segment of the connection.
  BOOST_TEST(after[0].at - fin->at < Duration::milliseconds(11), describe(w.segments));
  BOOST_TEST(w.segments.back().from == 1, describe(w.segments));
  BOOST_TEST(w.segments.back().pure_ack(), describe(w.segments));
}

BOOST_AUTO_TEST_CASE(a_client_that_closes_at_eof_sends_one_fin_ack) {
  CloseWorld w;
  w.start_session(true);
  TcpStream::Handlers h;
  bool eof = false;
  h.on_data = [](ByteView) {};
  h.on_closed = [&](const Error& e) {
    BOOST_TEST(e.code == ErrorCode::closed, e.to_string());
    eof = true;
    w.client->close();
  };
  w.connect_and_quit(std::move(h));
  BOOST_TEST_REQUIRE(w.run.run_until([&] { return eof; }, Duration::seconds(5)));
  w.run.run_for(Duration::seconds(5));

  const Segment* fin = w.server_fin();
  BOOST_TEST_REQUIRE(fin != nullptr, describe(w.segments));
  const std::vector<Segment> after = w.client_after_server_fin();
  BOOST_TEST_REQUIRE(after.size() == 1u, "the client's segments after the server's FIN:" << describe(after));
  BOOST_TEST(after[0].fin());
  BOOST_TEST(acks_fin(after[0], *fin), describe(w.segments));
}

BOOST_AUTO_TEST_CASE(a_client_that_closes_later_acks_the_fin_after_the_delayed_ack_time) {
  CloseWorld w;
  w.start_session(true);
  TcpStream::Handlers h;
  bool eof = false;
  h.on_data = [](ByteView) {};
  h.on_closed = [&](const Error&) { eof = true; };
  w.connect_and_quit(std::move(h));
  BOOST_TEST_REQUIRE(w.run.run_until([&] { return eof; }, Duration::seconds(5)));
  w.run.run_for(Duration::milliseconds(500));
  w.client->close();
  w.run.run_for(Duration::seconds(5));

  const Segment* fin = w.server_fin();
  BOOST_TEST_REQUIRE(fin != nullptr, describe(w.segments));
  const std::vector<Segment> after = w.client_after_server_fin();
  BOOST_TEST_REQUIRE(after.size() == 2u, "the client's segments after the server's FIN:" << describe(after));
  // One ACK of the FIN, TCP_ATO_MIN after it arrived (10 ms link), ...
  BOOST_TEST(after[0].pure_ack(), describe(after));
  BOOST_TEST(acks_fin(after[0], *fin), describe(w.segments));
  const Duration ack_delay = after[0].at - fin->at - Duration::milliseconds(10);
  BOOST_TEST(ack_delay >= Duration::milliseconds(40), format_duration(ack_delay));
  BOOST_TEST(ack_delay < Duration::milliseconds(41), format_duration(ack_delay));
  // ... then the client's own FIN when it closes.
  BOOST_TEST(after[1].fin(), describe(after));
  BOOST_TEST(after[1].at - fin->at > Duration::milliseconds(500), describe(after));
}

BOOST_AUTO_TEST_CASE(a_client_that_closes_first_acks_the_servers_fin_at_once) {
  // The active close is unchanged: in FIN_WAIT_2 tcp_fin sends the ACK now.
  CloseWorld w;
  w.start_session(false);
  TcpStream::Handlers h;
  bool read_221 = false;
  h.on_data = [&](ByteView) {
    read_221 = true;
    w.client->shutdown_write();
  };
  h.on_closed = [](const Error&) {};
  w.connect_and_quit(std::move(h));
  BOOST_TEST_REQUIRE(w.run.run_until([&] { return read_221; }, Duration::seconds(5)));
  w.run.run_for(Duration::seconds(5));

  const Segment* fin = w.server_fin();
  BOOST_TEST_REQUIRE(fin != nullptr, describe(w.segments));
  BOOST_TEST(fin->length == 0u, describe(w.segments));
  const std::vector<Segment> after = w.client_after_server_fin();
  BOOST_TEST_REQUIRE(after.size() == 1u, "the client's segments after the server's FIN:" << describe(after));
  BOOST_TEST(after[0].pure_ack());
  BOOST_TEST(acks_fin(after[0], *fin), describe(w.segments));
  BOOST_TEST(after[0].at - fin->at < Duration::milliseconds(11), describe(w.segments));
}

BOOST_AUTO_TEST_SUITE_END()
