// Two Devices back to back (device_pair.h): the handshake, data both ways
// over IPv4 and IPv6, the staged queue, cryptokey routing, roaming, the key
// log and peer management.

#include "tunnel/device.h"

#include <boost/test/unit_test.hpp>

#include "crypto/base64_key.h"
#include "tunnel/device_pair.h"
#include "tunnel/print_optional.h"

using namespace tether;
using namespace tether::tunnel;
using namespace tether::tunnel::testing;

BOOST_AUTO_TEST_SUITE(device)

BOOST_AUTO_TEST_CASE(handshake_then_data_both_ways_ipv4_and_ipv6) {
  DevicePair p;
  const Bytes first = echo_request(p.a4(), p.b4(), 1);
  p.tun(p.a, first);
  // No session yet: the packet is staged and an initiation goes out at once.
  BOOST_TEST(p.a.sent_of(MessageType::initiation).size() == 1u);
  BOOST_TEST(p.a.stats_of(p.b).staged_packets == 1u);
  BOOST_TEST(p.a.sent.size() == 1u);

  p.settle();
  BOOST_TEST(p.b.sent_of(MessageType::response).size() == 1u);
  BOOST_TEST(p.a.count(EventKind::handshake_completed) == 1u);
  BOOST_TEST(p.b.count(EventKind::handshake_completed) == 1u);
  BOOST_TEST(p.b.count(EventKind::handshake_responded) == 1u);
  // The staged packet confirmed the session; no separate keepalive was needed.
  BOOST_TEST(p.a.count(EventKind::keepalive_sent) == 0u);
  BOOST_REQUIRE(p.b.delivered.size() == 1u);
  BOOST_TEST(p.b.delivered[0] == first);  // padding trimmed

  // B learned A's endpoint from the initiation.
  auto learned = p.b.events_of(EventKind::endpoint_changed);
  BOOST_REQUIRE(learned.size() == 1u);
  BOOST_TEST(!learned[0].old_endpoint.has_value());
  BOOST_TEST(*learned[0].endpoint == p.a.address);

  const Bytes v4_back = udp_packet(p.b4(), 53, p.a4(), 40000, ByteView(std::string_view("answer")));
  const Bytes v6_back = echo_request(p.b6(), p.a6(), 2, 100);
  const Bytes v6_there = tcp_packet(p.a6(), 40001, p.b6(), 25, tcp_flag::syn);
  p.tun(p.b, v4_back);
  p.tun(p.b, v6_back);
  p.tun(p.a, v6_there);
  p.settle();
  BOOST_REQUIRE(p.a.delivered.size() == 2u);
  BOOST_TEST(p.a.delivered[0] == v4_back);
  BOOST_TEST(p.a.delivered[1] == v6_back);
  BOOST_REQUIRE(p.b.delivered.size() == 2u);
  BOOST_TEST(p.b.delivered[1] == v6_there);

  // One keypair each, named in each side's index table.
  BOOST_TEST(p.a.device->index_count() == 1u);
  BOOST_TEST(p.b.device->index_count() == 1u);
  PeerStats a_b = p.a.stats_of(p.b);
  BOOST_TEST(a_b.has_session);
  BOOST_TEST(a_b.tx_bytes > 0u);
  BOOST_TEST(a_b.rx_bytes > 0u);
  BOOST_REQUIRE(a_b.latest_handshake.has_value());
  BOOST_TEST(a_b.latest_handshake->unix_ns() == p.a.events_of(EventKind::handshake_completed)[0].time.ns() -
                                                    p.t0.ns() + p.wall0.unix_ns());
  BOOST_TEST(p.a.device->drops().total() == 0u);
  BOOST_TEST(p.b.device->drops().total() == 0u);
}

BOOST_AUTO_TEST_CASE(staged_packets_flushed_in_order_after_handshake) {
  DevicePair p;
  for (std::uint16_t seq = 1; seq <= 5; ++seq) p.tun(p.a, echo_request(p.a4(), p.b4(), seq));
  // One initiation, not five: at most one per REKEY_TIMEOUT.
  BOOST_TEST(p.a.sent_of(MessageType::initiation).size() == 1u);
  p.settle();
  BOOST_REQUIRE(p.b.delivered.size() == 5u);
  for (std::uint16_t seq = 1; seq <= 5; ++seq) BOOST_TEST(p.b.delivered[seq - 1] == echo_request(p.a4(), p.b4(), seq));
}

BOOST_AUTO_TEST_CASE(staged_queue_bounded_oldest_dropped) {
  DevicePair p;
  bool link_up = false;
  p.lose = [&](const Side&, const Datagram&) { return !link_up; };
  for (std::uint16_t seq = 1; seq <= 130; ++seq) p.tun(p.a, echo_request(p.a4(), p.b4(), seq));
  BOOST_TEST(p.a.stats_of(p.b).staged_packets == kMaxStagedPackets);
  BOOST_TEST(p.a.drops(PacketDropReason::queue_full) == 2u);
  link_up = true;
  p.run_for(Duration::seconds(6));  // the first retry gets through
  BOOST_REQUIRE(p.b.delivered.size() == kMaxStagedPackets);
  BOOST_TEST(p.b.delivered.front() == echo_request(p.a4(), p.b4(), 3));
  BOOST_TEST(p.b.delivered.back() == echo_request(p.a4(), p.b4(), 130));
}

BOOST_AUTO_TEST_CASE(preshared_key_both_sides_and_mismatch) {
  PairOptions with_psk;
  with_psk.psk = wg_key(kPsk);
  DevicePair p(with_psk);
  p.establish();
  BOOST_TEST(p.a.stats_of(p.b).has_preshared_key);

  // B configured without the PSK: A cannot authenticate B's response.
  PairOptions only_a = with_psk;
  DevicePair q(only_a);
  BOOST_REQUIRE(q.b.device->remove_peer(q.a.public_key));
  PeerConfig b_peer_a;
  b_peer_a.public_key = q.a.public_key;
  b_peer_a.allowed_ips = {prefix("10.0.0.2/32")};
  BOOST_REQUIRE(q.b.device->add_peer(b_peer_a, q.now).ok());
  q.tun(q.a, echo_request(q.a4(), q.b4()));
  q.settle();
  BOOST_TEST(q.a.count(EventKind::handshake_completed) == 0u);
  BOOST_TEST(q.a.drops(PacketDropReason::handshake_failed) == 1u);
}

BOOST_AUTO_TEST_CASE(cryptokey_routing_outgoing_longest_prefix) {
  const Time now = Time::from_ns(1'000'000'000);
  const WallTime wall = WallTime::from_unix_seconds(1'700'000'000);
  PeerConfig wide, narrow;
  wide.public_key = wg_key(kKeysB.public_key);
  wide.endpoint = *Endpoint::parse("198.51.100.2:51820");
  wide.allowed_ips = {prefix("10.0.0.0/24"), prefix("fd00::/64")};
  narrow.public_key = wg_key(kKeysC.public_key);
  narrow.endpoint = *Endpoint::parse("203.0.113.3:51820");
  narrow.allowed_ips = {prefix("10.0.0.128/25"), prefix("fd00::8000/113")};

  // Which peer's endpoint the first packet to `dst` starts a handshake with.
  auto routed_to = [&](const IpAddress& dst) {
    testing::ScriptedRandom random(9);
    Device dev(wg_key(kKeysA.private_key), random);
    BOOST_REQUIRE(dev.add_peer(wide, now).ok());
    BOOST_REQUIRE(dev.add_peer(narrow, now).ok());
    Output out;
    const IpAddress src = dst.is_v4() ? ip("10.9.9.9") : ip("fd09::9");
    dev.handle_tun_packet(echo_request(src, dst), now, wall, out);
    BOOST_REQUIRE(out.datagrams.size() == 1u);
    return out.datagrams[0].to;
  };
  BOOST_TEST(routed_to(ip("10.0.0.5")) == *wide.endpoint);
  BOOST_TEST(routed_to(ip("10.0.0.127")) == *wide.endpoint);
  BOOST_TEST(routed_to(ip("10.0.0.128")) == *narrow.endpoint);
  BOOST_TEST(routed_to(ip("10.0.0.200")) == *narrow.endpoint);
  BOOST_TEST(routed_to(ip("fd00::1")) == *wide.endpoint);
  BOOST_TEST(routed_to(ip("fd00::9000")) == *narrow.endpoint);

  testing::ScriptedRandom random(9);
  Device dev(wg_key(kKeysA.private_key), random);
  BOOST_REQUIRE(dev.add_peer(wide, now).ok());
  Output out;
  dev.handle_tun_packet(echo_request(ip("10.9.9.9"), ip("192.168.1.1")), now, wall, out);
  BOOST_TEST(out.datagrams.empty());
  BOOST_TEST(dev.drops()[PacketDropReason::no_peer] == 1u);
  BOOST_REQUIRE(out.events.size() == 1u);
  BOOST_TEST(out.events[0].kind == EventKind::packet_dropped);
  BOOST_TEST(out.events[0].drop == PacketDropReason::no_peer);
  BOOST_TEST(out.events[0].time == now);
}

BOOST_AUTO_TEST_CASE(cryptokey_routing_incoming_source_must_be_allowed) {
  DevicePair p;
  // A third peer at A owns 10.0.0.99: B may not use that source either.
  PeerConfig c;
  c.public_key = wg_key(kKeysC.public_key);
  c.allowed_ips = {prefix("10.0.0.99/32")};
  BOOST_REQUIRE(p.a.device->add_peer(c, p.now).ok());
  p.establish();

  p.tun(p.b, echo_request(ip("10.0.0.77"), p.a4()));  // nobody's
  p.tun(p.b, echo_request(ip("10.0.0.99"), p.a4()));  // C's, not B's
  p.tun(p.b, echo_request(ip("fd00::77"), p.a6()));
  p.settle();
  BOOST_TEST(p.a.delivered.empty());
  BOOST_TEST(p.a.drops(PacketDropReason::not_allowed_ip) == 3u);
  auto dropped = p.a.events_of(EventKind::packet_dropped);
  BOOST_REQUIRE(dropped.size() == 3u);
  BOOST_TEST(dropped[0].drop == PacketDropReason::not_allowed_ip);
  BOOST_TEST(*dropped[0].peer == p.b.public_key);
  BOOST_TEST(*dropped[0].endpoint == p.b.address);

  p.tun(p.b, echo_request(p.b4(), p.a4()));  // B's own address is fine
  p.settle();
  BOOST_TEST(p.a.delivered.size() == 1u);
}

BOOST_AUTO_TEST_CASE(no_endpoint_until_the_peer_shows_up) {
  DevicePair p;
  // The relay cannot reach the home host before the home host reaches it.
  p.tun(p.b, echo_request(p.b4(), p.a4()));
  BOOST_TEST(p.b.sent.empty());
  BOOST_TEST(p.b.drops(PacketDropReason::no_endpoint) == 1u);
  p.establish();
  p.tun(p.b, echo_request(p.b4(), p.a4()));
  p.settle();
  BOOST_TEST(p.a.delivered.size() == 1u);
}

BOOST_AUTO_TEST_CASE(roaming_follows_authenticated_packets_only) {
  DevicePair p;
  p.establish();
  const Endpoint old_a = p.a.address;
  const Endpoint new_a = *Endpoint::parse("203.0.113.7:40000");
  p.a.address = new_a;  // A's NAT mapping changed

  // B still sends to the old address: lost.
  p.tun(p.b, echo_request(p.b4(), p.a4(), 1));
  p.settle();
  BOOST_TEST(p.a.delivered.empty());
  BOOST_REQUIRE(p.lost.size() == 1u);
  BOOST_TEST(p.lost[0].to == old_a);

  // A's next authenticated packet moves B's endpoint; B's replies follow.
  p.tun(p.a, echo_request(p.a4(), p.b4(), 2));
  p.settle();
  auto moved = p.b.events_of(EventKind::endpoint_changed);
  BOOST_REQUIRE(moved.size() == 2u);
  BOOST_TEST(*moved[1].old_endpoint == old_a);
  BOOST_TEST(*moved[1].endpoint == new_a);
  BOOST_TEST(*p.b.stats_of(p.a).endpoint == new_a);
  p.tun(p.b, echo_request(p.b4(), p.a4(), 3));
  p.settle();
  BOOST_REQUIRE(p.a.delivered.size() == 1u);
  BOOST_TEST(p.a.delivered[0] == echo_request(p.b4(), p.a4(), 3));

  // Replays from a spoofed source move nothing: a transport message and
  // the initiation, both authentic but old.
  const Endpoint spoofed = *Endpoint::parse("6.6.6.6:666");
  const Sent transport = p.a.sent_of(MessageType::transport).back();
  const Sent initiation = p.a.sent_of(MessageType::initiation).back();
  p.inject(p.b, spoofed, transport.bytes);
  p.inject(p.b, spoofed, initiation.bytes);
  BOOST_TEST(p.b.drops(PacketDropReason::replay) == 1u);
  BOOST_TEST(p.b.drops(PacketDropReason::stale_initiation) == 1u);
  BOOST_TEST(*p.b.stats_of(p.a).endpoint == new_a);
  BOOST_TEST(p.b.count(EventKind::endpoint_changed) == 2u);
}

BOOST_AUTO_TEST_CASE(cookie_reply_from_a_spoofed_source_never_moves_the_endpoint) {
  PairOptions always_loaded;
  always_loaded.device_b.under_load_threshold = 0;  // B demands cookies from everyone
  DevicePair p(always_loaded);
  // Hold back B's cookie replies, to hand A the genuine one from elsewhere.
  p.lose = [](const Side& from, const Datagram& d) {
    return from.name == "B" && d.bytes.size() == kCookieReplySize && d.bytes[0] == 3;
  };
  p.tun(p.a, echo_request(p.a4(), p.b4()));
  p.settle();
  auto replies = p.b.sent_of(MessageType::cookie_reply);
  BOOST_REQUIRE(replies.size() == 1u);
  BOOST_TEST(p.b.drops(PacketDropReason::cookie_required) == 1u);

  const Endpoint spoofed = *Endpoint::parse("6.6.6.6:666");
  p.inject(p.a, spoofed, replies[0].bytes);
  BOOST_TEST(p.a.device->drops().total() == 0u);  // the cookie was taken...
  BOOST_TEST(*p.a.stats_of(p.b).endpoint == p.b.address);  // ...and nothing else
  BOOST_TEST(p.a.count(EventKind::endpoint_changed) == 0u);
  // A forged one is refused outright.
  Bytes forged = replies[0].bytes;
  forged[40] ^= 1;
  p.inject(p.a, spoofed, forged);
  BOOST_TEST(p.a.drops(PacketDropReason::bad_cookie_reply) == 1u);
  BOOST_TEST(*p.a.stats_of(p.b).endpoint == p.b.address);

  // The retry carries mac2 and B lets it through.
  p.run_for(Duration::seconds(6));
  BOOST_TEST(p.a.count(EventKind::handshake_completed) == 1u);
  BOOST_TEST(p.b.delivered.size() == 1u);
}

BOOST_AUTO_TEST_CASE(key_log_lines_for_wireshark) {
  PairOptions options;
  options.psk = wg_key(kPsk);
  options.device_a.key_log = true;
  DevicePair p(options);
  p.establish();
  BOOST_TEST(p.b.key_log.empty());  // off by default
  BOOST_REQUIRE(p.a.key_log.size() == 4u);
  BOOST_TEST(p.a.key_log[0] == "LOCAL_STATIC_PRIVATE_KEY = " + std::string(kKeysA.private_key));
  BOOST_TEST(p.a.key_log[1] == "REMOTE_STATIC_PUBLIC_KEY = " + std::string(kKeysB.public_key));
  BOOST_TEST(p.a.key_log[3] == "PRESHARED_KEY = " + std::string(kPsk));
  const std::string prefix_text = "LOCAL_EPHEMERAL_PRIVATE_KEY = ";
  BOOST_REQUIRE(p.a.key_log[2].rfind(prefix_text, 0) == 0u);
  // It is the ephemeral key whose public half the initiation carries.
  auto ephemeral = crypto::decode_base64_key(p.a.key_log[2].substr(prefix_text.size()));
  BOOST_REQUIRE(ephemeral.ok());
  const Bytes initiation = p.a.sent_of(MessageType::initiation)[0].bytes;
  const crypto::PublicKey ephemeral_public = crypto::derive_public_key(*ephemeral);
  BOOST_TEST(ByteView(ephemeral_public) == ByteView(initiation.data() + 8, 32));

  // Without a PSK there is no PRESHARED_KEY line; a responder logs too.
  PairOptions plain;
  plain.device_b.key_log = true;
  DevicePair q(plain);
  q.establish();
  BOOST_REQUIRE(q.b.key_log.size() == 3u);
  BOOST_TEST(q.b.key_log[0] == "LOCAL_STATIC_PRIVATE_KEY = " + std::string(kKeysB.private_key));
  BOOST_TEST(q.b.key_log[1] == "REMOTE_STATIC_PUBLIC_KEY = " + std::string(kKeysA.public_key));
}

BOOST_AUTO_TEST_CASE(peer_management) {
  DevicePair p;
  BOOST_TEST(!p.a.device->add_peer(PeerConfig{p.b.public_key, {}, {}, {}, 0}, p.now).ok());  // duplicate
  BOOST_TEST(!p.a.device->add_peer(PeerConfig{p.a.public_key, {}, {}, {}, 0}, p.now).ok());  // self
  p.establish();
  auto listing = p.a.device->peer_stats(p.now);
  BOOST_REQUIRE(listing.size() == 1u);
  BOOST_TEST(listing[0].allowed_ips.size() == 2u);
  BOOST_TEST(listing[0].allowed_ips[0].to_string() == "10.0.0.1/32");

  // DNS re-resolution moved the relay.
  const Endpoint moved = *Endpoint::parse("198.51.100.9:51820");
  BOOST_TEST(p.a.device->set_peer_endpoint(p.b.public_key, moved));
  BOOST_TEST(*p.a.stats_of(p.b).endpoint == moved);

  BOOST_TEST(p.a.device->remove_peer(p.b.public_key));
  BOOST_TEST(p.a.device->index_count() == 0u);
  BOOST_TEST(p.a.device->next_deadline().is_never());
  Output out;
  p.a.device->handle_tun_packet(echo_request(p.a4(), p.b4()), p.now, p.wall(), out);
  BOOST_TEST(p.a.device->drops()[PacketDropReason::no_peer] == 1u);
  // B's transport for the removed peer's keypair is now unknown.
  p.tun(p.b, echo_request(p.b4(), p.a4()));
  p.settle();
  BOOST_TEST(p.a.drops(PacketDropReason::unknown_index) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
