// Keypairs and the previous/current/next slots after real handshakes:
// padding, keepalives, replay and window, forged packets, the 180 s reject
// limit, the rekey hints, confirmation of a responder's keypair, slot
// rotation across rekeys, and erasure of every key at 540 s.

#include "tunnel/session.h"

#include <boost/test/unit_test.hpp>

#include "tunnel/handshake_pair.h"
#include "tunnel/keypair.h"
#include "tunnel/messages.h"
#include "tunnel/protocol_constants.h"

using namespace tether;
using namespace tether::tunnel;
using tether::tunnel::testing::HandshakePair;

namespace {

Transport as_transport(const Bytes& datagram) {
  auto t = decode_transport(datagram);
  BOOST_REQUIRE(t.ok());
  return *t;
}

// A -> B, one packet; the outcome at B.
TransportOutcome<Session::Received> a_to_b(HandshakePair& p, ByteView payload = ByteView()) {
  Bytes datagram, plaintext;
  auto sent = p.a_session.encrypt(payload, p.now, datagram);
  BOOST_REQUIRE(sent.ok());
  return p.b_session.decrypt(as_transport(datagram), p.now, plaintext);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sessions)

BOOST_AUTO_TEST_CASE(padding_as_linux) {
  BOOST_TEST(transport_padding(0, 0) == 0u);
  BOOST_TEST(transport_padding(1, 0) == 15u);
  BOOST_TEST(transport_padding(16, 0) == 0u);
  BOOST_TEST(transport_padding(17, 0) == 15u);
  BOOST_TEST(transport_padding(1412, 1420) == 8u);  // clamped at the MTU
  BOOST_TEST(transport_padding(1419, 1420) == 1u);
  BOOST_TEST(transport_padding(1420, 1420) == 0u);
  BOOST_TEST(transport_padding(1500, 1420) == 0u);  // last unit 80: aligned
}

BOOST_AUTO_TEST_CASE(padded_data_and_keepalive) {
  HandshakePair p;
  p.handshake();
  Bytes datagram, plaintext;
  const Bytes packet(21, 0x45);
  BOOST_REQUIRE(p.a_session.encrypt(packet, p.now, datagram, 1420).ok());
  BOOST_TEST(datagram.size() == 16u + 32u + 16u);
  auto received = p.b_session.decrypt(as_transport(datagram), p.now, plaintext);
  BOOST_REQUIRE(received.ok());
  BOOST_TEST(received->length == 32u);
  BOOST_TEST(!received->keepalive);
  BOOST_TEST(to_hex(ByteView(plaintext).subview(0, 21)) == to_hex(packet));
  BOOST_TEST(to_hex(ByteView(plaintext).subview(21)) == std::string(22, '0'));

  BOOST_REQUIRE(p.a_session.encrypt(ByteView(), p.now, datagram).ok());
  BOOST_TEST(datagram.size() == kKeepaliveSize);
  received = p.b_session.decrypt(as_transport(datagram), p.now, plaintext);
  BOOST_REQUIRE(received.ok());
  BOOST_TEST(received->keepalive);
  BOOST_TEST(received->length == 0u);
  BOOST_TEST(received->counter == 1u);
}

BOOST_AUTO_TEST_CASE(responder_sends_only_after_confirmation) {
  HandshakePair p;
  p.handshake();
  Bytes datagram;
  auto refused = p.b_session.encrypt(ByteView(), p.now, datagram);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error() == TransportError::no_keypair);
  auto received = a_to_b(p);
  BOOST_REQUIRE(received.ok());
  BOOST_TEST(received->confirmed_next);
  BOOST_TEST(p.b_session.encrypt(ByteView(), p.now, datagram).ok());
  // Only the first packet confirms.
  received = a_to_b(p);
  BOOST_REQUIRE(received.ok());
  BOOST_TEST(!received->confirmed_next);
}

BOOST_AUTO_TEST_CASE(replayed_transport_packet_is_dropped) {
  HandshakePair p;
  p.handshake();
  Bytes datagram, plaintext;
  BOOST_REQUIRE(p.a_session.encrypt(ByteView("data"), p.now, datagram).ok());
  BOOST_REQUIRE(p.b_session.decrypt(as_transport(datagram), p.now, plaintext).ok());
  auto again = p.b_session.decrypt(as_transport(datagram), p.now, plaintext);
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error() == TransportError::replayed);
}

BOOST_AUTO_TEST_CASE(out_of_window_packet_is_dropped) {
  HandshakePair p;
  p.handshake();
  std::vector<Bytes> sent(8200);
  for (auto& d : sent) BOOST_REQUIRE(p.a_session.encrypt(ByteView(), p.now, d).ok());
  Bytes plaintext;
  BOOST_REQUIRE(p.b_session.decrypt(as_transport(sent.back()), p.now, plaintext).ok());  // counter 8199
  // 8199 - 71 = 8128, the edge of the window: still judged on its bit.
  BOOST_TEST(p.b_session.decrypt(as_transport(sent[71]), p.now, plaintext).ok());
  auto behind = p.b_session.decrypt(as_transport(sent[70]), p.now, plaintext);
  BOOST_REQUIRE(!behind.ok());
  BOOST_TEST(behind.error() == TransportError::replayed);
  behind = p.b_session.decrypt(as_transport(sent[0]), p.now, plaintext);
  BOOST_REQUIRE(!behind.ok());
  BOOST_TEST(behind.error() == TransportError::replayed);
  // Out of order inside the window is fine.
  BOOST_TEST(p.b_session.decrypt(as_transport(sent[5000]), p.now, plaintext).ok());
  BOOST_TEST(p.b_session.decrypt(as_transport(sent[4999]), p.now, plaintext).ok());
}

BOOST_AUTO_TEST_CASE(forged_packet_is_dropped_and_does_not_move_the_window) {
  HandshakePair p;
  p.handshake();
  Bytes datagram, plaintext;
  BOOST_REQUIRE(p.a_session.encrypt(ByteView("data"), p.now, datagram).ok());
  // A forger claims a far-ahead counter: if that moved the window, the
  // genuine packet would then be "behind" it.
  Bytes forged = datagram;
  store_le64(forged.data() + 8, 100000);
  auto refused = p.b_session.decrypt(as_transport(forged), p.now, plaintext);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error() == TransportError::bad_authentication);
  BOOST_TEST(plaintext.empty());
  forged = datagram;
  forged[20] ^= 1;
  refused = p.b_session.decrypt(as_transport(forged), p.now, plaintext);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error() == TransportError::bad_authentication);
  BOOST_TEST(p.b_session.decrypt(as_transport(datagram), p.now, plaintext).ok());

  // A counter at REJECT_AFTER_MESSAGES is refused before any decryption.
  forged = datagram;
  store_le64(forged.data() + 8, kRejectAfterMessages);
  refused = p.b_session.decrypt(as_transport(forged), p.now, plaintext);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error() == TransportError::replayed);

  // An index that names no keypair of this peer.
  forged = datagram;
  store_le32(forged.data() + 4, 0x12345678);
  refused = p.b_session.decrypt(as_transport(forged), p.now, plaintext);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.error() == TransportError::unknown_index);
}

BOOST_AUTO_TEST_CASE(keypair_is_refused_at_reject_after_time) {
  HandshakePair p;
  p.handshake();
  const Time made = p.now;
  BOOST_REQUIRE(a_to_b(p).ok());  // confirm B's keypair

  Bytes late, plaintext;
  p.now = made + kRejectAfterTime - Duration::nanoseconds(1);
  BOOST_REQUIRE(p.a_session.encrypt(ByteView("last"), p.now, late).ok());
  BOOST_TEST(a_to_b(p).ok());

  p.now = made + kRejectAfterTime;
  Bytes datagram;
  auto sent = p.a_session.encrypt(ByteView(), p.now, datagram);
  BOOST_REQUIRE(!sent.ok());
  BOOST_TEST(sent.error() == TransportError::expired);
  sent = p.b_session.encrypt(ByteView(), p.now, datagram);
  BOOST_REQUIRE(!sent.ok());
  BOOST_TEST(sent.error() == TransportError::expired);
  // A packet sent just before the limit, arriving at it, is refused too.
  auto received = p.b_session.decrypt(as_transport(late), p.now, plaintext);
  BOOST_REQUIRE(!received.ok());
  BOOST_TEST(received.error() == TransportError::expired);
  // The keys are still held (erasure is at 540 s), just unusable.
  BOOST_TEST(!p.a_session.current()->zeroed());
  BOOST_TEST(!p.a_session.current()->usable(p.now));
}

BOOST_AUTO_TEST_CASE(rekey_hints_follow_the_initiators_clock) {
  HandshakePair p;
  p.handshake();
  const Time made = p.now;
  BOOST_REQUIRE(a_to_b(p).ok());
  const Keypair& a = *p.a_session.current();
  const Keypair& b = *p.b_session.current();
  BOOST_TEST(!a.wants_rekey_on_send(made + kRekeyAfterTime - Duration::nanoseconds(1)));
  BOOST_TEST(a.wants_rekey_on_send(made + kRekeyAfterTime));
  // Only the initiator rekeys by time, so both sides do not race.
  BOOST_TEST(!b.wants_rekey_on_send(made + kRekeyAfterTime));
  BOOST_TEST(!a.wants_rekey_on_receive(made + Duration::seconds(165) - Duration::nanoseconds(1)));
  BOOST_TEST(a.wants_rekey_on_receive(made + Duration::seconds(165)));
  BOOST_TEST(!b.wants_rekey_on_receive(made + Duration::seconds(179)));
}

BOOST_AUTO_TEST_CASE(slots_rotate_across_rekeys_and_old_packets_still_decrypt) {
  HandshakePair p;
  p.handshake(0x11, 0x21);
  BOOST_REQUIRE(a_to_b(p).ok());
  Bytes b_old;  // B sends under the first keypair...
  BOOST_REQUIRE(p.b_session.encrypt(ByteView("old"), p.now, b_old).ok());

  // ...while A rekeys.
  p.advance(Duration::seconds(120));
  Bytes initiation = p.initiation_from_a(0x12);
  auto response = p.respond_at_b(initiation, 0x22);
  BOOST_REQUIRE(response.ok());
  BOOST_REQUIRE(p.response_at_a(*response).ok());
  auto ka = p.a_peer_b.begin_session(p.now);
  auto kb = p.b_peer_a.begin_session(p.now);
  BOOST_REQUIRE(ka.ok());
  BOOST_REQUIRE(kb.ok());
  BOOST_TEST(p.a_session.install(std::move(ka).value(), p.now).empty());
  BOOST_TEST(p.b_session.install(std::move(kb).value(), p.now).empty());
  BOOST_TEST(p.a_session.current()->local_index() == 0x12u);
  BOOST_TEST(p.a_session.previous()->local_index() == 0x11u);
  BOOST_TEST(p.b_session.current()->local_index() == 0x21u);
  BOOST_TEST(p.b_session.next()->local_index() == 0x22u);

  // B's packet under the old keypair still decrypts at A (previous).
  Bytes plaintext;
  auto old = p.a_session.decrypt(as_transport(b_old), p.now, plaintext);
  BOOST_REQUIRE(old.ok());
  BOOST_TEST(!old->confirmed_next);

  // A's first packet under the new keys confirms them at B.
  auto received = a_to_b(p);
  BOOST_REQUIRE(received.ok());
  BOOST_TEST(received->confirmed_next);
  BOOST_TEST(!received->retired_index.has_value());
  BOOST_TEST(p.b_session.current()->local_index() == 0x22u);
  BOOST_TEST(p.b_session.previous()->local_index() == 0x21u);

  // A third handshake, initiated by B this time.
  p.advance(Duration::seconds(120));
  auto from_b = p.b_peer_a.create_initiation(0x23, p.now, p.wall, p.random);
  BOOST_REQUIRE(from_b.ok());
  auto checked = p.check_at_a(*from_b);
  BOOST_REQUIRE(checked.verdict == CookieChecker::Verdict::accepted);
  BOOST_REQUIRE(consume_initiation(*p.a.identity, *checked.message, p.now, p.a_lookup()).ok());
  auto from_a = p.a_peer_b.create_response(0x13, p.now, p.random);
  BOOST_REQUIRE(from_a.ok());
  checked = p.check_at_b(*from_a);
  BOOST_REQUIRE(checked.verdict == CookieChecker::Verdict::accepted);
  BOOST_REQUIRE(p.b_peer_a.consume_response(*checked.message).ok());
  ka = p.a_peer_b.begin_session(p.now);
  kb = p.b_peer_a.begin_session(p.now);
  BOOST_REQUIRE(ka.ok());
  BOOST_REQUIRE(kb.ok());
  // A, now the responder: the new keypair waits in next; previous goes.
  BOOST_TEST(p.a_session.install(std::move(ka).value(), p.now) == std::vector<std::uint32_t>{0x11});
  BOOST_TEST(p.a_session.next()->local_index() == 0x13u);
  BOOST_TEST(p.a_session.current()->local_index() == 0x12u);
  // B, the initiator: current to previous, the old previous goes.
  BOOST_TEST(p.b_session.install(std::move(kb).value(), p.now) == std::vector<std::uint32_t>{0x21});
  BOOST_TEST(p.b_session.current()->local_index() == 0x23u);
  BOOST_TEST(p.b_session.previous()->local_index() == 0x22u);

  // B's first packet under the new keys confirms A's, retiring nothing
  // (A's previous went at install).
  Bytes datagram;
  BOOST_REQUIRE(p.b_session.encrypt(ByteView(), p.now, datagram).ok());
  auto at_a = p.a_session.decrypt(as_transport(datagram), p.now, plaintext);
  BOOST_REQUIRE(at_a.ok());
  BOOST_TEST(at_a->confirmed_next);
  BOOST_TEST(p.a_session.current()->local_index() == 0x13u);
  BOOST_TEST(p.a_session.previous()->local_index() == 0x12u);
}

BOOST_AUTO_TEST_CASE(every_key_is_erased_540_seconds_after_the_latest_session) {
  HandshakePair p;
  BOOST_TEST(p.a_session.next_deadline().is_never());
  p.handshake(0x11, 0x21);
  const Time made = p.now;
  BOOST_REQUIRE(a_to_b(p).ok());
  BOOST_TEST(p.a_session.next_deadline() == made + Duration::seconds(540));
  BOOST_TEST(p.b_session.next_deadline() == made + Duration::seconds(540));

  BOOST_TEST(p.a_session.on_deadline(made + Duration::seconds(540) - Duration::nanoseconds(1)).empty());
  BOOST_TEST(p.a_session.current() != nullptr);
  BOOST_TEST(p.a_session.on_deadline(made + Duration::seconds(540)) == std::vector<std::uint32_t>{0x11});
  BOOST_TEST(p.a_session.empty());
  BOOST_TEST(p.a_session.next_deadline().is_never());
  Bytes datagram;
  auto sent = p.a_session.encrypt(ByteView(), made + Duration::seconds(540), datagram);
  BOOST_REQUIRE(!sent.ok());
  BOOST_TEST(sent.error() == TransportError::no_keypair);

  // A give-up with nothing armed arms it; an armed deadline is not pushed.
  p.a_session.arm_zeroing(made + Duration::seconds(600));
  BOOST_TEST(p.a_session.next_deadline() == made + Duration::seconds(1140));
  p.a_session.arm_zeroing(made + Duration::seconds(700));
  BOOST_TEST(p.a_session.next_deadline() == made + Duration::seconds(1140));
}

BOOST_AUTO_TEST_CASE(a_new_session_pushes_the_erasure_back) {
  HandshakePair p;
  p.handshake(0x11, 0x21);
  p.advance(Duration::seconds(300));
  p.handshake(0x12, 0x22);
  BOOST_TEST(p.a_session.next_deadline() == p.now + Duration::seconds(540));
}

BOOST_AUTO_TEST_CASE(zeroed_keypair_refuses_everything) {
  HandshakePair p;
  p.handshake();
  Bytes datagram, plaintext;
  BOOST_REQUIRE(p.a_session.encrypt(ByteView("x"), p.now, datagram).ok());
  Keypair& b = *p.b_session.next();
  b.zero();
  BOOST_TEST(b.zeroed());
  BOOST_TEST(!b.usable(p.now));
  auto received = p.b_session.decrypt(as_transport(datagram), p.now, plaintext);
  BOOST_REQUIRE(!received.ok());
  BOOST_TEST(received.error() == TransportError::expired);
  BOOST_TEST(!b.wants_rekey_on_send(p.now + Duration::seconds(500)));
}

BOOST_AUTO_TEST_SUITE_END()
