// The five timers, end to end between two Devices on the manual clock:
// rekey at 120 s and the 165 s receive-side rule, reject at 180 s,
// retransmission every 5 s + jitter and the give-up, passive and persistent
// keepalives, the new handshake after 15 s of unanswered data, and key
// erasure at 540 s.

#include <boost/test/unit_test.hpp>

#include "tunnel/device_pair.h"
#include "tunnel/print_optional.h"

using namespace tether;
using namespace tether::tunnel;
using namespace tether::tunnel::testing;

namespace {

Duration since(const DevicePair& p, Time t) { return t - p.t0; }

}  // namespace

BOOST_AUTO_TEST_SUITE(device_timers)

BOOST_AUTO_TEST_CASE(initiator_rekeys_when_sending_after_120s) {
  DevicePair p;
  p.establish();  // A's keypair is made when the response arrives, t0 + 20 ms
  const Time made = p.a.events_of(EventKind::handshake_completed)[0].time;

  p.run_until(made + Duration::seconds(119));
  p.tun(p.a, echo_request(p.a4(), p.b4(), 2));
  p.settle();
  BOOST_TEST(p.a.sent_of(MessageType::initiation).size() == 1u);

  // The responder never rekeys by age on sending.
  p.run_until(made + Duration::seconds(125));
  p.tun(p.b, echo_request(p.b4(), p.a4(), 3));
  p.settle();
  BOOST_TEST(p.b.sent_of(MessageType::initiation).empty());
  BOOST_TEST(p.a.sent_of(MessageType::initiation).size() == 1u);

  // The initiator, sending on a keypair 120 s old, sends the packet on it
  // and then a new initiation.
  p.run_until(made + Duration::seconds(130));
  const std::size_t delivered = p.b.delivered.size();
  p.tun(p.a, echo_request(p.a4(), p.b4(), 4));
  auto initiations = p.a.sent_of(MessageType::initiation);
  BOOST_REQUIRE(initiations.size() == 2u);
  BOOST_TEST(initiations[1].time == made + Duration::seconds(130));
  p.settle();
  BOOST_TEST(p.b.delivered.size() == delivered + 1);
  BOOST_TEST(p.a.count(EventKind::handshake_completed) == 2u);
  BOOST_TEST(p.b.count(EventKind::handshake_completed) == 2u);
  // Old keypair kept as previous on both sides, so two indices each.
  BOOST_TEST(p.a.device->index_count() == 2u);
  BOOST_TEST(p.b.device->index_count() == 2u);
}

BOOST_AUTO_TEST_CASE(initiator_rekeys_once_on_receiving_after_165s) {
  DevicePair p;
  p.establish();
  const Time made = p.a.events_of(EventKind::handshake_completed)[0].time;
  p.run_until(made + Duration::seconds(164));
  p.tun(p.b, echo_request(p.b4(), p.a4(), 1));
  p.run_for(Duration::seconds(1));
  BOOST_TEST(p.a.sent_of(MessageType::initiation).size() == 1u);  // 164 s: not yet

  // Past 165 s the receipt itself starts a handshake (A's initiations are
  // lost here, so the series keeps retrying).
  p.lose = [](const Side& from, const Datagram& d) { return from.name == "A" && d.bytes[0] == 1; };
  p.run_until(made + Duration::seconds(166));
  p.tun(p.b, echo_request(p.b4(), p.a4(), 2));
  p.run_for(Duration::milliseconds(20));
  auto sent = p.a.events_of(EventKind::handshake_sent);
  BOOST_REQUIRE(sent.size() == 2u);
  BOOST_TEST(sent[1].time == made + Duration::seconds(166) + p.latency);
  BOOST_TEST(sent[1].attempt == 1);

  // Once per session: a later receipt does not start another series; the
  // one under way goes on retrying.
  p.run_until(made + Duration::seconds(172));
  p.tun(p.b, echo_request(p.b4(), p.a4(), 3));
  p.run_for(Duration::milliseconds(20));
  sent = p.a.events_of(EventKind::handshake_sent);
  BOOST_REQUIRE(sent.size() == 3u);
  BOOST_TEST(sent[2].attempt == 2);
  BOOST_TEST(sent[2].time < made + Duration::seconds(172));
}

BOOST_AUTO_TEST_CASE(no_traffic_on_a_keypair_older_than_180s) {
  DevicePair p;
  p.establish();
  const Time made = p.a.events_of(EventKind::handshake_completed)[0].time;
  bool link_up = false;
  p.lose = [&](const Side&, const Datagram&) { return !link_up; };

  // Sent (and lost) at 170 s: valid then, but it will arrive too late.
  p.run_until(made + Duration::seconds(170));
  p.tun(p.a, echo_request(p.a4(), p.b4(), 7));
  const Sent late = p.a.sent_of(MessageType::transport).back();

  p.run_until(made + Duration::seconds(181));
  const std::size_t a_transports = p.a.sent_of(MessageType::transport).size();
  const std::size_t b_transports = p.b.sent_of(MessageType::transport).size();
  p.tun(p.a, echo_request(p.a4(), p.b4(), 8));
  p.tun(p.b, echo_request(p.b4(), p.a4(), 9));
  // Neither side encrypts with the dead keypair: both stage and handshake.
  BOOST_TEST(p.a.sent_of(MessageType::transport).size() == a_transports);
  BOOST_TEST(p.b.sent_of(MessageType::transport).size() == b_transports);
  BOOST_TEST(p.a.stats_of(p.b).staged_packets == 1u);
  BOOST_TEST(p.b.stats_of(p.a).staged_packets == 1u);
  BOOST_TEST(p.b.sent_of(MessageType::initiation).size() == 1u);
  BOOST_TEST(!p.a.stats_of(p.b).has_session);

  // Nor does a receiver accept one.
  p.inject(p.b, p.a.address, late.bytes);
  BOOST_TEST(p.b.drops(PacketDropReason::expired_keypair) == 1u);
  BOOST_TEST(p.b.delivered.size() == 1u);  // only establish()'s packet

  // Link back: the next retransmission makes a new session and both
  // staged packets go through.
  link_up = true;
  p.run_for(Duration::seconds(6));
  BOOST_TEST(p.b.delivered.back() == echo_request(p.a4(), p.b4(), 8));
  BOOST_REQUIRE(!p.a.delivered.empty());
  BOOST_TEST(p.a.delivered.back() == echo_request(p.b4(), p.a4(), 9));
}

BOOST_AUTO_TEST_CASE(retries_every_5s_plus_jitter_then_give_up) {
  DevicePair p;
  p.lose = [](const Side&, const Datagram&) { return true; };  // B is silent
  for (std::uint16_t seq = 1; seq <= 3; ++seq) p.tun(p.a, echo_request(p.a4(), p.b4(), seq));
  p.run_for(Duration::seconds(200));

  auto sent = p.a.events_of(EventKind::handshake_sent);
  // 1 initiation + 19 retries, as Linux and wireguard-go (the give-up test
  // is "more than 18 retries" when the retransmit timer fires).
  BOOST_REQUIRE(sent.size() == 20u);
  BOOST_TEST(sent[0].time == p.t0);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    BOOST_TEST(sent[i].attempt == int(i) + 1);
    BOOST_TEST(*sent[i].endpoint == p.b.address);
    if (i == 0) continue;
    const Duration gap = sent[i].time - sent[i - 1].time;
    BOOST_TEST(gap >= Duration::seconds(5));
    BOOST_TEST(gap <= Duration::milliseconds(5333));
  }
  // The jitter is real, not a constant.
  BOOST_TEST(sent[1].time - sent[0].time != sent[2].time - sent[1].time);

  auto gave_up = p.a.events_of(EventKind::handshake_given_up);
  BOOST_REQUIRE(gave_up.size() == 1u);
  const Duration last_gap = gave_up[0].time - sent.back().time;
  BOOST_TEST(last_gap >= Duration::seconds(5));
  BOOST_TEST(last_gap <= Duration::milliseconds(5333));
  // Retrying lasted past REKEY_ATTEMPT_TIME: the last retry is >= 95 s in.
  BOOST_TEST(sent.back().time - sent.front().time >= Duration::seconds(95));
  BOOST_TEST(since(p, gave_up[0].time) >= kRekeyAttemptTime + Duration::seconds(10));
  BOOST_TEST(since(p, gave_up[0].time) <= Duration::seconds(100) + Duration::milliseconds(20 * 334));

  // The staged packets were dropped and counted; nothing more is sent.
  BOOST_TEST(p.a.stats_of(p.b).staged_packets == 0u);
  BOOST_TEST(p.a.drops(PacketDropReason::handshake_given_up) == 3u);
  BOOST_TEST(p.a.device->index_count() == 1u);  // the last attempt's, until zeroing
  const std::size_t datagrams = p.a.sent.size();
  p.run_until(gave_up[0].time + Duration::seconds(539));
  BOOST_TEST(p.a.sent.size() == datagrams);
  // What was left of the attempt is erased 540 s after the give-up.
  BOOST_TEST(p.a.count(EventKind::session_expired) == 0u);
  p.run_until(gave_up[0].time + Duration::seconds(541));
  BOOST_REQUIRE(p.a.count(EventKind::session_expired) == 1u);
  BOOST_TEST(p.a.events_of(EventKind::session_expired)[0].time == gave_up[0].time + kZeroKeysAfter);
  BOOST_TEST(p.a.device->index_count() == 0u);
  BOOST_TEST(p.a.device->next_deadline().is_never());
}

BOOST_AUTO_TEST_CASE(passive_keepalive_10s_after_one_way_data) {
  DevicePair p;
  p.establish();
  // B received A's packet (which confirmed B's keypair) and sent nothing back.
  const Time received = p.b.events_of(EventKind::handshake_completed)[0].time;
  p.run_until(received + Duration::seconds(11));
  auto keepalives = p.b.events_of(EventKind::keepalive_sent);
  BOOST_REQUIRE(keepalives.size() == 1u);
  BOOST_TEST(keepalives[0].time == received + kKeepaliveTimeout);
  BOOST_TEST(p.a.count(EventKind::keepalive_sent) == 0u);  // keepalives are not answered

  // One-way again: a keepalive 10 s after the data arrived.
  p.run_for(Duration::seconds(30));
  p.tun(p.a, echo_request(p.a4(), p.b4(), 2));
  const Time arrives = p.now + p.latency;
  p.run_for(Duration::seconds(12));
  keepalives = p.b.events_of(EventKind::keepalive_sent);
  BOOST_REQUIRE(keepalives.size() == 2u);
  BOOST_TEST(keepalives[1].time == arrives + kKeepaliveTimeout);

  // Two-way: B answers with data within 10 s, so no keepalive.
  p.tun(p.a, echo_request(p.a4(), p.b4(), 3));
  p.run_for(Duration::seconds(3));
  p.tun(p.b, echo_request(p.b4(), p.a4(), 3));
  const Time reply_arrives = p.now + p.latency;
  p.run_for(Duration::seconds(11));
  BOOST_TEST(p.b.count(EventKind::keepalive_sent) == 2u);
  // ...but that left A with one-way data: A keepalives 10 s after it arrived.
  auto from_a = p.a.events_of(EventKind::keepalive_sent);
  BOOST_REQUIRE(from_a.size() == 1u);
  BOOST_TEST(from_a[0].time == reply_arrives + kKeepaliveTimeout);
}

BOOST_AUTO_TEST_CASE(persistent_keepalive_after_exactly_n_seconds_of_silence) {
  PairOptions options;
  options.keepalive_a = 25;
  DevicePair p(options);
  // Setting PersistentKeepalive sends a keepalive at once, which brings the
  // tunnel up: no data needed (the home host's NAT mapping opens).
  p.run_for(Duration::milliseconds(50));
  BOOST_TEST(p.a.count(EventKind::handshake_completed) == 1u);
  BOOST_TEST(p.b.count(EventKind::handshake_completed) == 1u);  // confirmed by that keepalive
  const Time up = p.a.events_of(EventKind::handshake_completed)[0].time;

  // Traffic at +60 s: B's data arrives at +60.01 s and resets the timer.
  p.run_until(up + Duration::seconds(60) - p.latency);
  p.tun(p.b, echo_request(p.b4(), p.a4()));
  p.run_until(up + Duration::seconds(100));

  std::vector<Duration> at;
  for (const Event& e : p.a.events_of(EventKind::keepalive_sent)) at.push_back(e.time - up);
  BOOST_REQUIRE(at.size() == 5u);
  BOOST_TEST(at[0] == Duration::zero());              // confirming the session
  BOOST_TEST(at[1] == Duration::seconds(25));         // 25 s of silence
  BOOST_TEST(at[2] == Duration::seconds(50));
  BOOST_TEST(at[3] == Duration::seconds(70));         // passive: 10 s after B's data
  BOOST_TEST(at[4] == Duration::seconds(95));         // 25 s after that
  BOOST_TEST(p.b.count(EventKind::keepalive_sent) == 0u);
}

BOOST_AUTO_TEST_CASE(new_handshake_after_15s_of_unanswered_data) {
  DevicePair p;
  p.establish();
  p.run_for(Duration::seconds(30));
  // B's answers stop reaching A.
  p.lose = [](const Side& from, const Datagram&) { return from.name == "B"; };
  const Time sent = p.now;
  p.tun(p.a, echo_request(p.a4(), p.b4(), 2));
  p.run_for(Duration::seconds(16));
  auto initiations = p.a.events_of(EventKind::handshake_sent);
  BOOST_REQUIRE(initiations.size() == 2u);
  BOOST_TEST(initiations[1].time - sent >= kKeepaliveTimeout + kRekeyTimeout);
  BOOST_TEST(initiations[1].time - sent < kKeepaliveTimeout + kRekeyTimeout + Duration::milliseconds(334));
  BOOST_TEST(initiations[1].attempt == 1);

  // Control: when B's passive keepalive gets through, no new handshake.
  DevicePair q;
  q.establish();
  q.run_for(Duration::seconds(30));
  q.tun(q.a, echo_request(q.a4(), q.b4(), 2));
  q.run_for(Duration::seconds(16));
  BOOST_TEST(q.a.count(EventKind::handshake_sent) == 1u);
}

BOOST_AUTO_TEST_CASE(keys_zeroed_540s_after_the_session) {
  DevicePair p;
  p.establish();
  const Time b_made = p.b.events_of(EventKind::handshake_responded)[0].time;
  const Time a_made = p.a.events_of(EventKind::handshake_completed)[0].time;
  p.run_until(b_made + kZeroKeysAfter - Duration::milliseconds(1));
  BOOST_TEST(p.a.count(EventKind::session_expired) == 0u);
  BOOST_TEST(p.b.count(EventKind::session_expired) == 0u);
  p.run_until(a_made + kZeroKeysAfter);
  BOOST_REQUIRE(p.b.count(EventKind::session_expired) == 1u);
  BOOST_REQUIRE(p.a.count(EventKind::session_expired) == 1u);
  BOOST_TEST(p.b.events_of(EventKind::session_expired)[0].time == b_made + kZeroKeysAfter);
  BOOST_TEST(p.a.events_of(EventKind::session_expired)[0].time == a_made + kZeroKeysAfter);
  for (Side* s : {&p.a, &p.b}) {
    BOOST_TEST(s->device->index_count() == 0u);
    BOOST_TEST(!s->stats_of(p.other(*s)).has_session);
    BOOST_TEST(s->device->next_deadline().is_never());
  }
  // A new packet starts over with a new handshake.
  p.tun(p.a, echo_request(p.a4(), p.b4(), 9));
  p.settle();
  BOOST_TEST(p.a.count(EventKind::handshake_completed) == 2u);
  BOOST_TEST(p.b.delivered.back() == echo_request(p.a4(), p.b4(), 9));
}

BOOST_AUTO_TEST_CASE(handshake_completed_says_whether_it_rekeyed_a_working_session) {
  // What the relay's route-up policy reads (node/tunnel_relay_link.h): the
  // first session and one after the old keys aged out are no rekey; the
  // 120 s rekey of a session in use is, on both sides.
  DevicePair p;
  p.establish();
  BOOST_TEST(!p.a.events_of(EventKind::handshake_completed)[0].rekey);
  BOOST_TEST(!p.b.events_of(EventKind::handshake_completed)[0].rekey);

  const Time made = p.a.events_of(EventKind::handshake_completed)[0].time;
  p.run_until(made + Duration::seconds(130));
  p.tun(p.a, echo_request(p.a4(), p.b4(), 2));
  p.settle();
  BOOST_REQUIRE(p.a.count(EventKind::handshake_completed) == 2u);
  BOOST_REQUIRE(p.b.count(EventKind::handshake_completed) == 2u);
  BOOST_TEST(p.a.events_of(EventKind::handshake_completed)[1].rekey);
  BOOST_TEST(p.b.events_of(EventKind::handshake_completed)[1].rekey);

  // Silence past REJECT_AFTER_TIME: the keys still exist but can carry
  // nothing, so the next handshake brings the session back.
  const Time second = p.a.events_of(EventKind::handshake_completed)[1].time;
  p.run_until(second + Duration::seconds(200));
  p.tun(p.a, echo_request(p.a4(), p.b4(), 3));
  p.settle();
  BOOST_REQUIRE(p.a.count(EventKind::handshake_completed) == 3u);
  BOOST_REQUIRE(p.b.count(EventKind::handshake_completed) == 3u);
  BOOST_TEST(!p.a.events_of(EventKind::handshake_completed)[2].rekey);
  BOOST_TEST(!p.b.events_of(EventKind::handshake_completed)[2].rekey);
}

BOOST_AUTO_TEST_SUITE_END()
