// What arrives from the network that the device must refuse cheaply and
// without crashing: a handshake flood under load (cookies, no DH), and bad
// datagrams of every kind, counted by reason, plus a seeded fuzz loop.

#include <boost/test/unit_test.hpp>

#include <array>

#include "crypto/blake2s.h"
#include "tunnel/cookie.h"
#include "tunnel/device_pair.h"
#include "tunnel/handshake.h"
#include "tunnel/print_optional.h"

using namespace tether;
using namespace tether::tunnel;
using namespace tether::tunnel::testing;

namespace {

// An initiation an attacker can make for free: random bytes with a valid
// mac1 for the responder (whose public key is no secret), no mac2. Without
// load it costs the responder a DH before it fails.
Bytes flood_initiation(const crypto::PublicKey& responder, ScriptedRandom& random) {
  Bytes m(kInitiationSize);
  random.fill(MutableByteView(m));
  m[0] = 1;
  m[1] = m[2] = m[3] = 0;
  auto spans = mutable_mac_spans(MutableByteView(m));
  const crypto::Blake2sMac mac1 = crypto::blake2s_mac(mac1_key(responder), spans->mac1_input);
  std::copy(mac1.begin(), mac1.end(), spans->mac1.begin());
  std::fill(spans->mac2.begin(), spans->mac2.end(), std::uint8_t(0));
  return m;
}

Endpoint spoofed_source(int i) {
  return Endpoint(IpAddress::v4(0x0a000000u + std::uint32_t(i)), std::uint16_t(1024 + i % 60000));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(device_input)

BOOST_AUTO_TEST_CASE(handshake_flood_gets_cookies_and_a_real_peer_still_gets_in) {
  PairOptions options;
  options.device_b.under_load_threshold = 10;  // handshakes per second
  DevicePair p(options);
  ScriptedRandom attacker(99);
  int flooded = 0;
  auto flood = [&](int n) {
    for (int i = 0; i < n; ++i, ++flooded) p.inject(p.b, spoofed_source(flooded), flood_initiation(p.b.public_key, attacker));
  };

  // The first 10 in a second are processed (and fail after a DH); beyond
  // the threshold, B is under load and answers with cookies instead.
  flood(50);
  BOOST_TEST(p.b.device->counters().handshakes_processed == 10u);
  BOOST_TEST(p.b.drops(PacketDropReason::handshake_failed) == 10u);
  BOOST_TEST(p.b.device->counters().cookie_replies_sent == 40u);
  BOOST_TEST(p.b.drops(PacketDropReason::cookie_required) == 40u);
  BOOST_TEST(p.b.device->under_load(p.now));

  // A real peer joins during the flood (200 initiations a second).
  p.tun(p.a, echo_request(p.a4(), p.b4()));
  for (int tick = 0; tick < 120 && p.b.delivered.empty(); ++tick) {
    flood(20);
    p.run_for(Duration::milliseconds(100));
  }
  // Its first initiation got a cookie; the retry 5 s later carried mac2.
  BOOST_TEST(p.a.count(EventKind::handshake_completed) == 1u);
  BOOST_TEST(p.b.delivered.size() == 1u);
  BOOST_TEST(p.a.events_of(EventKind::handshake_sent).size() == 2u);
  BOOST_TEST(p.b.device->under_load(p.now));
  // No DH was spent on the flood under load: the 10 before, A's one after.
  BOOST_TEST(p.b.device->counters().handshakes_processed == 11u);
  BOOST_TEST(p.b.device->counters().cookie_replies_sent == std::uint64_t(flooded - 10 + 1));
  // Cookie replies go to the claimed sources, never to A's endpoint by mistake.
  BOOST_TEST(p.b.sent_of(MessageType::cookie_reply).size() == std::size_t(flooded - 10 + 1));
}

BOOST_AUTO_TEST_CASE(cookie_holders_are_ratelimited_per_source_under_load) {
  PairOptions options;
  options.device_b.under_load_threshold = 0;  // always under load
  DevicePair p(options);
  p.tun(p.a, echo_request(p.a4(), p.b4()));
  p.run_for(Duration::seconds(6));
  BOOST_REQUIRE(p.a.count(EventKind::handshake_completed) == 1u);
  // Replays of A's mac2-bearing initiation from A's own address: the bucket
  // (5 at once, then 20/s) refuses most before any DH.
  const Sent with_cookie = p.a.sent_of(MessageType::initiation).back();
  const std::uint64_t processed = p.b.device->counters().handshakes_processed;
  for (int i = 0; i < 20; ++i) p.inject(p.b, p.a.address, with_cookie.bytes);
  const std::uint64_t refused = p.b.drops(PacketDropReason::ratelimited);
  BOOST_TEST(refused >= 15u);
  BOOST_TEST(p.b.device->counters().handshakes_processed - processed == 20u - refused);
}

BOOST_AUTO_TEST_CASE(bad_datagrams_dropped_and_counted_by_reason) {
  DevicePair p;
  p.establish();
  p.tun(p.a, echo_request(p.a4(), p.b4(), 2));
  p.settle();
  const Sent initiation = p.a.sent_of(MessageType::initiation)[0];
  const Sent transport = p.a.sent_of(MessageType::transport).back();
  const Endpoint from = p.a.address;
  Side& b = p.b;
  const std::size_t delivered = b.delivered.size();

  auto with_type = [](std::uint32_t word, std::size_t size) {
    Bytes m(size, 0x42);
    store_le32(m.data(), word);
    return m;
  };
  p.inject(b, from, Bytes{1, 0, 0});                               // truncated header
  p.inject(b, from, Bytes());                                      // empty
  p.inject(b, from, with_type(1, 100));                            // truncated initiation
  p.inject(b, from, with_type(4, 31));                             // truncated transport
  p.inject(b, from, with_type(1, 149));                            // oversized initiation
  p.inject(b, from, with_type(3, 65));                             // oversized cookie reply
  p.inject(b, from, with_type(4, kMaxDatagramSize + 1));           // larger than UDP allows
  p.inject(b, from, with_type(7, 148));                            // unknown type
  p.inject(b, from, with_type(0x0101, 148));                       // reserved bytes set
  Bytes bad_mac = initiation.bytes;
  bad_mac[120] ^= 0x01;
  p.inject(b, from, bad_mac);                                      // bad mac1
  p.inject(b, from, initiation.bytes);                             // replayed initiation
  Bytes forged = transport.bytes;
  store_le64(forged.data() + 8, 1000);  // a fresh counter, so it gets as far as the AEAD
  forged[20] ^= 0x80;
  p.inject(b, from, forged);                                       // does not authenticate
  p.inject(b, from, transport.bytes);                              // replayed transport
  Bytes unknown = transport.bytes;
  store_le32(unknown.data() + 4, 0x12345678);
  p.inject(b, from, unknown);                                      // unknown receiver index
  Bytes stray_response = with_type(2, kResponseSize);
  p.inject(b, from, stray_response);                               // (bad mac1 too: mac1 checked first)

  BOOST_TEST(b.drops(PacketDropReason::truncated) == 4u);
  BOOST_TEST(b.drops(PacketDropReason::oversized) == 3u);
  BOOST_TEST(b.drops(PacketDropReason::unknown_type) == 1u);
  BOOST_TEST(b.drops(PacketDropReason::reserved_not_zero) == 1u);
  BOOST_TEST(b.drops(PacketDropReason::bad_mac1) == 2u);
  BOOST_TEST(b.drops(PacketDropReason::stale_initiation) == 1u);
  BOOST_TEST(b.drops(PacketDropReason::bad_authentication) == 1u);
  BOOST_TEST(b.drops(PacketDropReason::replay) == 1u);
  BOOST_TEST(b.drops(PacketDropReason::unknown_index) == 1u);
  BOOST_TEST(b.device->drops().total() == 15u);
  BOOST_TEST(b.delivered.size() == delivered);
  BOOST_TEST(b.sent.size() == 1u);  // its handshake response: nothing answered the junk
  // Every drop was an event with its reason and source.
  auto dropped = b.events_of(EventKind::packet_dropped);
  BOOST_REQUIRE(dropped.size() == 15u);
  BOOST_TEST(dropped[0].drop == PacketDropReason::truncated);
  BOOST_TEST(*dropped[0].endpoint == from);
  BOOST_TEST(dropped[11].drop == PacketDropReason::bad_authentication);
  BOOST_TEST(*dropped[11].peer == p.a.public_key);
  BOOST_TEST(dropped[11].to_string().find("bad_authentication") != std::string::npos);

  // The session still works.
  p.tun(p.a, echo_request(p.a4(), p.b4(), 3));
  p.settle();
  BOOST_TEST(b.delivered.size() == delivered + 1);
}

BOOST_AUTO_TEST_CASE(out_of_window_counter_dropped) {
  DevicePair p;
  p.establish();
  // Lose the packet with counter 1 (A's first since establish()), deliver 8199 after it.
  int transports = 0;
  Bytes held;
  p.lose = [&](const Side& from, const Datagram& d) {
    if (from.name != "A" || d.bytes[0] != 4) return false;
    if (++transports == 1) {
      held = d.bytes;
      return true;
    }
    return false;
  };
  for (int i = 0; i < 8200; ++i) p.tun(p.a, udp_packet(p.a4(), 5000, p.b4(), 5001));
  p.settle();
  BOOST_REQUIRE(!held.empty());
  BOOST_TEST(load_le64(held.data() + 8) == 1u);
  const std::size_t delivered = p.b.delivered.size();
  p.inject(p.b, p.a.address, held);  // never seen, but 8199 behind: outside the 8128 window
  BOOST_TEST(p.b.drops(PacketDropReason::replay) == 1u);
  BOOST_TEST(p.b.delivered.size() == delivered);
}

BOOST_AUTO_TEST_CASE(initiation_from_a_stranger) {
  DevicePair p;
  // C knows B's public key but is not B's peer: it authenticates, then is refused.
  auto c = std::make_shared<LocalIdentity>(wg_key(kKeysC.private_key));
  Handshake c_to_b(c, p.b.public_key);
  ScriptedRandom random(5);
  auto initiation = c_to_b.create_initiation(77, p.now, p.wall(), random);
  BOOST_REQUIRE(initiation.ok());
  p.inject(p.b, *Endpoint::parse("203.0.113.50:1000"), *initiation);
  BOOST_TEST(p.b.drops(PacketDropReason::unknown_peer) == 1u);
  BOOST_TEST(p.b.sent.empty());
  BOOST_TEST(!p.b.stats_of(p.a).endpoint.has_value());
}

BOOST_AUTO_TEST_CASE(seeded_random_datagrams_never_crash_and_are_all_dropped) {
  DevicePair p;
  p.establish();
  p.tun(p.b, echo_request(p.b4(), p.a4()));
  p.settle();
  std::vector<Bytes> real;
  for (const Sent& s : p.a.sent) real.push_back(s.bytes);
  for (const Sent& s : p.b.sent) real.push_back(s.bytes);

  ScriptedRandom fuzz(2024);
  auto next = [&fuzz](std::uint32_t bound) {
    std::array<std::uint8_t, 4> r{};
    fuzz.fill(MutableByteView(r));
    return load_le32(r.data()) % bound;
  };
  const std::uint64_t before_a = p.a.device->drops().total();
  const std::uint64_t before_b = p.b.device->drops().total();
  const int rounds = 4000;
  for (int i = 0; i < rounds; ++i) {
    Bytes d;
    switch (next(3)) {
      case 0: {  // random bytes with a plausible type word
        d.resize(next(200));
        fuzz.fill(MutableByteView(d));
        if (!d.empty()) d[0] = std::uint8_t(next(6));
        if (d.size() >= 4 && next(2) == 0) d[1] = d[2] = d[3] = 0;
        break;
      }
      case 1: {  // exact handshake sizes, random content
        static constexpr std::size_t sizes[] = {kInitiationSize, kResponseSize, kCookieReplySize, kKeepaliveSize};
        const std::uint32_t k = next(4);
        d.resize(sizes[k]);
        fuzz.fill(MutableByteView(d));
        store_le32(d.data(), k + 1);
        break;
      }
      default: {  // a real datagram with a few bytes flipped, or cut
        d = real[next(std::uint32_t(real.size()))];
        for (std::uint32_t flips = 1 + next(3); flips > 0; --flips) d[next(std::uint32_t(d.size()))] ^= std::uint8_t(1 + next(255));
        if (next(4) == 0) d.resize(next(std::uint32_t(d.size()) + 1));
        break;
      }
    }
    const bool to_a = next(2) == 0;
    p.inject(to_a ? p.a : p.b, spoofed_source(i), d);
  }
  const std::uint64_t dropped = p.a.device->drops().total() - before_a + p.b.device->drops().total() - before_b;
  BOOST_TEST(dropped == std::uint64_t(rounds));
  BOOST_TEST(p.a.delivered.size() == 1u);
  BOOST_TEST(p.a.count(EventKind::endpoint_changed) == 0u);
  BOOST_TEST(p.b.count(EventKind::endpoint_changed) == 1u);

  // Random bytes from the TUN side too.
  for (int i = 0; i < 1000; ++i) {
    Bytes d(next(120));
    fuzz.fill(MutableByteView(d));
    p.tun(next(2) ? p.a : p.b, d);
  }
  // And the tunnel still works.
  p.tun(p.a, echo_request(p.a4(), p.b4(), 42));
  p.settle();
  BOOST_TEST(p.b.delivered.back() == echo_request(p.a4(), p.b4(), 42));
}

BOOST_AUTO_TEST_CASE(inner_allow_list_on_the_device) {
  PairOptions options;
  options.device_b.inner_filter = *InnerFilter::parse("in tcp 25, icmp local 10.0.0.1 remote 10.0.0.2");
  DevicePair p(options);
  p.establish();  // an ICMP echo: allowed
  BOOST_TEST(p.b.delivered.size() == 1u);

  p.tun(p.a, tcp_packet(p.a4(), 40000, p.b4(), 25, tcp_flag::syn));   // SMTP: in
  p.tun(p.a, tcp_packet(p.a4(), 40001, p.b4(), 22, tcp_flag::syn));   // ssh: out
  p.tun(p.a, udp_packet(p.a4(), 5353, p.b4(), 53));                   // dns: out
  p.tun(p.a, echo_request(p.a6(), p.b6()));                           // icmpv6: out
  p.tun(p.a, tcp_packet(p.a4(), 25, p.b4(), 22, tcp_flag::syn));      // from port 25 to ssh: out
  p.settle();
  BOOST_TEST(p.b.delivered.size() == 2u);
  BOOST_TEST(p.b.drops(PacketDropReason::filtered) == 4u);

  // Outbound at B: the SMTP reply passes, a connection out to ssh does not.
  p.tun(p.b, tcp_packet(p.b4(), 25, p.a4(), 40000, tcp_flag::syn | tcp_flag::ack));
  p.tun(p.b, tcp_packet(p.b4(), 40002, p.a4(), 22, tcp_flag::syn));
  p.settle();
  BOOST_TEST(p.a.delivered.size() == 1u);
  BOOST_TEST(p.b.drops(PacketDropReason::filtered) == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
