// The WireGuard dissector on real traffic made by impl/tunnel's devices:
// every field of every message against the bytes on the wire (read here
// at the whitepaper's offsets, not through impl/tunnel's decoder), the
// sessions and peer pairs, keepalives, and garbage on a WireGuard port.

#include <boost/test/unit_test.hpp>

#include <set>

#include "pcap/wireguard_dissector.h"
#include "pcap/wireguard_traffic.h"
#include "tunnel/print_optional.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;

namespace {

std::vector<TimelineEvent> dissect_all(WireGuardDissector& dissector, const std::vector<Datagram>& datagrams) {
  std::vector<TimelineEvent> events;
  for (const Datagram& d : datagrams) BOOST_TEST(dissector.dissect(d, events));
  return events;
}

// Whitepaper 5.4: little-endian u32 at these offsets.
std::uint32_t u32_at(const Bytes& b, std::size_t at) { return load_le32(&b[at]); }

}  // namespace

BOOST_AUTO_TEST_SUITE(wireguard_dissector)

BOOST_AUTO_TEST_CASE(every_field_of_every_message_matches_the_wire) {
  const Traffic traffic = make_traffic();
  WireGuardDissector dissector;
  const auto events = dissect_all(dissector, traffic.datagrams());
  BOOST_TEST_REQUIRE(events.size() == traffic.packets.size());

  std::map<std::string, int> kinds;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TimelineEvent& e = events[i];
    const Bytes& w = traffic.packets[i].bytes;
    BOOST_TEST_CONTEXT("packet " << i + 1) {
      BOOST_TEST(e.packet_number == i + 1);
      BOOST_TEST(e.protocol == "wg");
      BOOST_TEST(e.source == traffic.packets[i].from.to_string());
      BOOST_TEST(e.destination == traffic.packets[i].to.to_string());
      BOOST_TEST(e.at.unix_ns() == (traffic.wall0 + (traffic.packets[i].time - traffic.t0)).unix_ns());
      BOOST_TEST_REQUIRE(e.wg_type.has_value());
      BOOST_TEST(*e.wg_type == int(w[0]));
      ++kinds[e.kind];
      switch (w[0]) {
        case 1:
          BOOST_TEST(e.kind == "initiation");
          BOOST_TEST(w.size() == 148u);
          BOOST_TEST(e.wg_sender == u32_at(w, 4));
          BOOST_TEST(!e.wg_receiver.has_value());
          BOOST_TEST(!e.wg_counter.has_value());
          break;
        case 2:
          BOOST_TEST(e.kind == "response");
          BOOST_TEST(e.wg_sender == u32_at(w, 4));
          BOOST_TEST(e.wg_receiver == u32_at(w, 8));
          break;
        case 4:
          BOOST_TEST(e.kind == (w.size() == 32 ? "keepalive" : "data"));
          BOOST_TEST(e.wg_receiver == u32_at(w, 4));
          BOOST_TEST(e.wg_counter == load_le64(&w[8]));
          BOOST_TEST(e.wg_keepalive == (w.size() == 32));
          BOOST_TEST(!e.wg_sender.has_value());
          break;
        default: BOOST_FAIL("unexpected type " << int(w[0]));
      }
    }
  }
  BOOST_TEST(kinds["initiation"] == 1);
  BOOST_TEST(kinds["response"] == 1);
  BOOST_TEST(kinds["data"] >= 10);      // five pings each way, and the first
  BOOST_TEST(kinds["keepalive"] >= 2);  // A's persistent keepalive every 4 s
  BOOST_TEST(dissector.problems().empty());
}

BOOST_AUTO_TEST_CASE(transport_messages_know_their_session_and_direction) {
  const Traffic traffic = make_traffic();
  WireGuardDissector dissector;
  const auto events = dissect_all(dissector, traffic.datagrams());
  BOOST_TEST_REQUIRE(dissector.sessions().all().size() == 1u);
  const WireGuardSession& s = *dissector.sessions().all()[0];
  BOOST_TEST(s.initiator == traffic.a);
  BOOST_TEST(s.responder == traffic.b);
  BOOST_TEST_REQUIRE(s.responder_index.has_value());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TimelineEvent& e = events[i];
    BOOST_TEST_CONTEXT("packet " << i + 1 << " " << e.detail) {
      BOOST_TEST(e.wg_session == std::optional<std::uint64_t>(0));
      if (e.kind == "response") BOOST_TEST(e.wg_receiver == s.initiator_index);
      if (e.kind != "data" && e.kind != "keepalive") continue;
      const bool from_a = traffic.packets[i].from == traffic.a;
      // A initiated: what A sends goes to the responder's index.
      BOOST_TEST(e.wg_receiver == (from_a ? *s.responder_index : s.initiator_index));
      BOOST_TEST(e.detail.find(from_a ? "initiator->responder" : "responder->initiator") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(handshake_retries_are_attempts_of_one_peer_pair) {
  TrafficOptions options;
  options.lost_initiations = 2;
  const Traffic traffic = make_traffic(options);
  WireGuardDissector dissector;
  const auto events = dissect_all(dissector, traffic.datagrams());
  std::vector<const TimelineEvent*> initiations;
  for (const auto& e : events)
    if (e.kind == "initiation") initiations.push_back(&e);
  BOOST_TEST_REQUIRE(initiations.size() == 3u);
  std::set<std::uint32_t> senders;
  for (const auto* e : initiations) senders.insert(*e->wg_sender);
  BOOST_TEST(senders.size() == 3u);  // a new index for every attempt

  const auto& sessions = dissector.sessions().all();
  BOOST_TEST_REQUIRE(sessions.size() == 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(sessions[i]->peer_pair == 0u);
    BOOST_TEST(sessions[i]->attempt == i + 1);
  }
  BOOST_TEST(dissector.sessions().peer_pairs() == 1u);
  // Only the third was answered, and every transport message is its.
  BOOST_TEST(!sessions[0]->response_packet.has_value());
  BOOST_TEST(!sessions[1]->response_packet.has_value());
  BOOST_TEST(sessions[2]->response_packet.has_value());
  for (const auto& e : events)
    if (e.kind == "data" || e.kind == "keepalive" || e.kind == "response")
      BOOST_TEST(e.wg_session == std::optional<std::uint64_t>(2));
}

BOOST_AUTO_TEST_CASE(a_rekey_is_a_new_session_of_the_same_peer_pair) {
  TrafficOptions options;
  options.keepalives_for = Duration::seconds(150);
  const Traffic traffic = make_traffic(options);
  WireGuardDissector dissector;
  const auto events = dissect_all(dissector, traffic.datagrams());
  const auto& sessions = dissector.sessions().all();
  BOOST_TEST_REQUIRE(sessions.size() == 2u);
  BOOST_TEST(sessions[1]->peer_pair == sessions[0]->peer_pair);
  BOOST_TEST(sessions[1]->attempt == 2u);
  BOOST_TEST(sessions[1]->response_packet.has_value());
  BOOST_TEST(sessions[1]->initiator_index != sessions[0]->initiator_index);
  // Each transport message belongs to the session whose index it names.
  std::set<std::uint64_t> used;
  for (const auto& e : events) {
    if (e.kind != "data" && e.kind != "keepalive") continue;
    BOOST_TEST_REQUIRE(e.wg_session.has_value());
    const WireGuardSession& s = *sessions.at(*e.wg_session);
    BOOST_TEST((*e.wg_receiver == s.initiator_index || *e.wg_receiver == *s.responder_index));
    used.insert(*e.wg_session);
  }
  BOOST_TEST(used.size() == 2u);  // the new keys carry the keepalives after the rekey
}

BOOST_AUTO_TEST_CASE(garbage_on_the_wireguard_port_is_reported_and_skipped) {
  const Traffic traffic = make_traffic();
  auto datagrams = traffic.datagrams("site.pcap");
  // Junk at packet 3 (a type byte 9), 5 (an initiation cut short) and 6 (empty).
  Bytes junk9(40, 0x09), short_initiation(100, 0), empty;
  short_initiation[0] = 1;
  auto junk = [&](std::size_t at, const Bytes& bytes) {
    Datagram d = datagrams.at(1);
    d.payload = bytes;
    datagrams.insert(datagrams.begin() + std::ptrdiff_t(at - 1), d);
  };
  junk(3, junk9);
  junk(5, short_initiation);
  junk(6, empty);
  for (std::size_t i = 0; i < datagrams.size(); ++i) datagrams[i].origin.packet_number = i + 1;

  WireGuardDissectorOptions options;
  options.ports = {51820};
  WireGuardDissector dissector(options);
  std::vector<TimelineEvent> events;
  for (const Datagram& d : datagrams) BOOST_TEST(dissector.dissect(d, events));
  BOOST_TEST(events.size() == traffic.packets.size());  // every real message still there
  BOOST_TEST_REQUIRE(dissector.problems().size() == 3u);
  BOOST_TEST(dissector.problems()[0].to_string() == "site.pcap: packet 3: not WireGuard: unknown message type 9");
  BOOST_TEST(dissector.problems()[1].to_string() ==
             "site.pcap: packet 5: not WireGuard: truncated initiation: 100 bytes, expected 148");
  BOOST_TEST(dissector.problems()[2].to_string() ==
             "site.pcap: packet 6: not WireGuard: 0 bytes, too short for a message type");

  // The same junk on a port nobody named is simply not WireGuard: no event,
  // no problem, left to other dissectors.
  WireGuardDissector by_shape;
  Datagram other = datagrams.at(2);
  other.destination = Endpoint(other.destination.address(), 4000);
  other.source = Endpoint(other.source.address(), 4001);
  std::vector<TimelineEvent> none;
  BOOST_TEST(!by_shape.dissect(other, none));
  BOOST_TEST(none.empty());
  BOOST_TEST(by_shape.problems().empty());
}

BOOST_AUTO_TEST_CASE(shape_detection_follows_wiresharks_heuristic) {
  const Traffic traffic = make_traffic();
  const auto datagrams = traffic.datagrams();
  WireGuardDissector dissector;  // no port named: by shape alone, any port
  std::vector<TimelineEvent> events;
  // A handshake with reserved bytes set (Cloudflare's) is still one;
  // a transport message with them set is not.
  for (const Datagram& d : datagrams) {
    Bytes changed(d.payload.begin(), d.payload.end());
    changed[2] = 0x5a;
    Datagram moved = d;
    moved.source = Endpoint(d.source.address(), 30000);
    moved.payload = changed;
    const bool taken = dissector.dissect(moved, events);
    BOOST_TEST(taken == (changed[0] == 1 || changed[0] == 2), "type " << int(changed[0]));
  }
  // Transport length: at least 32, not a multiple of 16 necessarily.
  Bytes unpadded(32 + 5, 0);
  unpadded[0] = 4;
  Datagram d = datagrams.at(0);
  d.payload = unpadded;
  BOOST_TEST(dissector.dissect(d, events));
  Bytes too_short(31, 0);
  too_short[0] = 4;
  d.payload = too_short;
  BOOST_TEST(!dissector.dissect(d, events));
  Bytes long_cookie(65, 0);
  long_cookie[0] = 3;
  d.payload = long_cookie;
  BOOST_TEST(!dissector.dissect(d, events));
}

BOOST_AUTO_TEST_CASE(with_the_heuristic_off_only_named_ports_are_wireguard) {
  const Traffic traffic = make_traffic();
  WireGuardDissectorOptions options;
  options.heuristic = false;
  options.ports = {51820};
  WireGuardDissector dissector(options);
  std::vector<TimelineEvent> events;
  for (Datagram d : traffic.datagrams()) {
    BOOST_TEST(dissector.dissect(d, events));  // both sides use 51820
    d.source = Endpoint(d.source.address(), 1111);
    d.destination = Endpoint(d.destination.address(), 2222);
    BOOST_TEST(!dissector.dissect(d, events));
  }
  BOOST_TEST(events.size() == traffic.packets.size());
}

BOOST_AUTO_TEST_CASE(a_cookie_reply_is_dissected_and_tied_to_its_initiation) {
  const Traffic traffic = make_traffic();
  auto datagrams = traffic.datagrams();
  // A cookie reply from B to A's initiation (impl/tunnel's encoder; the
  // devices only send one under load).
  std::size_t initiation = 0;
  while (datagrams[initiation].payload[0] != 1) ++initiation;
  tunnel::CookieReply reply;
  reply.receiver_index = load_le32(datagrams[initiation].payload.data() + 4);
  reply.nonce.fill(0x11);
  const Bytes cookie = tunnel::encode(reply);
  Datagram d = datagrams[initiation];
  std::swap(d.source, d.destination);
  d.payload = cookie;
  d.origin.packet_number = 99;

  WireGuardDissector dissector;
  std::vector<TimelineEvent> events;
  BOOST_TEST(dissector.dissect(datagrams[initiation], events));
  BOOST_TEST(dissector.dissect(d, events));
  BOOST_TEST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[1].kind == "cookie-reply");
  BOOST_TEST(events[1].wg_type == std::optional<int>(3));
  BOOST_TEST(events[1].wg_receiver == std::optional<std::uint32_t>(reply.receiver_index));
  BOOST_TEST(!events[1].wg_sender.has_value());
  BOOST_TEST(events[1].wg_session == std::optional<std::uint64_t>(0));
  BOOST_TEST(dissector.sessions().all()[0]->cookie_replied);
}

BOOST_AUTO_TEST_SUITE_END()
