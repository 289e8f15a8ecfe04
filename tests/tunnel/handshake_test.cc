// The handshake back to back (A initiates to B): keys agree and carry data
// both ways, with and without a PSK; every refusal the responder and
// initiator owe: wrong PSK, unknown static key, replayed or flooding
// initiations, bad mac1 (before any DH); exact message sizes; and the
// secrets a finished handshake must not keep.

#include "tunnel/handshake.h"

#include <boost/test/unit_test.hpp>

#include <type_traits>

#include "crypto/base64_key.h"
#include "tunnel/handshake_pair.h"
#include "tunnel/messages.h"
#include "tunnel/protocol_constants.h"

using namespace tether;
using namespace tether::tunnel;
using tether::tunnel::testing::HandshakePair;
using tether::tunnel::testing::kKeysA;
using tether::tunnel::testing::kKeysB;
using tether::tunnel::testing::kKeysC;
using tether::tunnel::testing::kPsk;
using tether::tunnel::testing::Node;
using tether::tunnel::testing::wg_key;
using Verdict = CookieChecker::Verdict;

namespace {

bool all_zero(ByteView bytes) {
  for (std::uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

// A sends `text` to B and B to A; each must read the other's exactly.
void exchange_data(HandshakePair& p) {
  const std::string a_says = "hello from A, through the tunnel";
  const std::string b_says = "and back from B";
  Bytes datagram, plaintext;

  BOOST_REQUIRE(p.a_session.encrypt(ByteView(a_says), p.now, datagram).ok());
  auto transport = decode_transport(datagram);
  BOOST_REQUIRE(transport.ok());
  auto received = p.b_session.decrypt(*transport, p.now, plaintext);
  BOOST_REQUIRE(received.ok());
  BOOST_TEST(received->confirmed_next);  // A's first packet confirms B's keypair
  BOOST_TEST(ByteView(plaintext).subview(0, a_says.size()).as_string() == a_says);

  BOOST_REQUIRE(p.b_session.encrypt(ByteView(b_says), p.now, datagram).ok());
  transport = decode_transport(datagram);
  BOOST_REQUIRE(transport.ok());
  received = p.a_session.decrypt(*transport, p.now, plaintext);
  BOOST_REQUIRE(received.ok());
  BOOST_TEST(!received->confirmed_next);
  BOOST_TEST(ByteView(plaintext).subview(0, b_says.size()).as_string() == b_says);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(handshake)

BOOST_AUTO_TEST_CASE(local_identity_matches_wg_pubkey) {
  for (const auto& keys : {kKeysA, kKeysB, kKeysC}) {
    LocalIdentity id(wg_key(keys.private_key));
    BOOST_TEST(crypto::encode_base64_key(id.public_key()) == keys.public_key);
  }
}

BOOST_AUTO_TEST_CASE(message_sizes_are_exact) {
  HandshakePair p;
  Bytes initiation = p.initiation_from_a();
  BOOST_TEST(initiation.size() == 148u);
  BOOST_TEST(initiation[0] == 1);
  auto response = p.respond_at_b(initiation);
  BOOST_REQUIRE(response.ok());
  BOOST_TEST(response->size() == 92u);
  BOOST_TEST((*response)[0] == 2);
  BOOST_REQUIRE(p.response_at_a(*response).ok());
  p.begin_sessions();

  Bytes datagram;
  BOOST_REQUIRE(p.a_session.encrypt(ByteView(), p.now, datagram).ok());
  BOOST_TEST(datagram.size() == 32u);  // keepalive
  BOOST_TEST(datagram[0] == 4);
  for (std::size_t n : {1u, 15u, 16u, 17u, 1400u}) {
    BOOST_REQUIRE(p.a_session.encrypt(Bytes(n, 0x45), p.now, datagram).ok());
    BOOST_TEST(datagram.size() == 32 + (n + 15) / 16 * 16);
  }

  Node c(kKeysC, "203.0.113.3:51820");
  Handshake c_peer_b(c.identity, p.b.identity->public_key());
  auto from_c = c_peer_b.create_initiation(7, p.now, p.wall, p.random);
  BOOST_REQUIRE(from_c.ok());
  auto checked = p.b.checker.check(*from_c, c.endpoint, true, p.now, p.random);
  BOOST_REQUIRE(checked.verdict == Verdict::cookie_required);
  BOOST_TEST(checked.cookie_reply.size() == 64u);
  BOOST_TEST(checked.cookie_reply[0] == 3);
}

BOOST_AUTO_TEST_CASE(handshake_then_data_both_ways_without_psk) {
  HandshakePair p;
  p.handshake();
  BOOST_TEST(p.a_session.current() != nullptr);
  BOOST_TEST(p.b_session.current() == nullptr);  // B waits for confirmation
  BOOST_REQUIRE(p.b_session.next() != nullptr);
  // Each keypair is named on the wire by the other side's index.
  BOOST_TEST(p.a_session.current()->local_index() == HandshakePair::kIndexA);
  BOOST_TEST(p.a_session.current()->remote_index() == HandshakePair::kIndexB);
  BOOST_TEST(p.b_session.next()->local_index() == HandshakePair::kIndexB);
  BOOST_TEST(p.b_session.next()->remote_index() == HandshakePair::kIndexA);
  BOOST_TEST(p.a_session.current()->initiator());
  BOOST_TEST(!p.b_session.next()->initiator());
  exchange_data(p);
  BOOST_TEST(p.b_session.current() != nullptr);
  BOOST_TEST(p.b_session.next() == nullptr);
}

BOOST_AUTO_TEST_CASE(handshake_then_data_both_ways_with_psk) {
  const auto psk = wg_key(kPsk);
  HandshakePair p(psk, psk);
  p.handshake();
  exchange_data(p);
}

BOOST_AUTO_TEST_CASE(psk_on_one_side_only_or_wrong_psk_fails_at_the_initiator) {
  const auto psk = wg_key(kPsk);
  auto other = psk;
  other[31] ^= 0x80;
  for (auto [at_a, at_b] : {std::pair<std::optional<crypto::Key32>, std::optional<crypto::Key32>>{psk, other},
                            {psk, std::nullopt},
                            {std::nullopt, psk}}) {
    HandshakePair p(at_a, at_b);
    Bytes initiation = p.initiation_from_a();
    // The PSK enters only at the response: B cannot tell.
    auto response = p.respond_at_b(initiation);
    BOOST_REQUIRE(response.ok());
    auto consumed = p.response_at_a(*response);
    BOOST_REQUIRE(!consumed.ok());
    BOOST_TEST(consumed.error() == HandshakeError::bad_response);
    // A's initiation is still outstanding: a forged response kills nothing.
    BOOST_TEST(p.a_peer_b.state() == Handshake::State::created_initiation);
    BOOST_TEST(p.a_peer_b.local_index() == HandshakePair::kIndexA);
    BOOST_TEST(!p.a_peer_b.begin_session(p.now).ok());
  }
}

BOOST_AUTO_TEST_CASE(unknown_static_key_is_rejected) {
  HandshakePair p;
  Node c(kKeysC, "203.0.113.3:51820");
  Handshake c_peer_b(c.identity, p.b.identity->public_key());
  auto initiation = c_peer_b.create_initiation(7, p.now, p.wall, p.random);
  BOOST_REQUIRE(initiation.ok());
  // C knows B's public key, so mac1 is fine; the static key is what fails.
  auto checked = p.b.checker.check(*initiation, c.endpoint, false, p.now, p.random);
  BOOST_REQUIRE(checked.verdict == Verdict::accepted);
  auto peer = consume_initiation(*p.b.identity, *checked.message, p.now, p.b_lookup());
  BOOST_REQUIRE(!peer.ok());
  BOOST_TEST(peer.error() == HandshakeError::unknown_peer);
  BOOST_TEST(p.b_lookups == 1);
  BOOST_TEST(p.b_peer_a.state() == Handshake::State::zeroed);
}

BOOST_AUTO_TEST_CASE(initiation_for_another_responder_fails_mac1) {
  HandshakePair p;
  Node c(kKeysC, "203.0.113.3:51820");
  // A's initiation meant for C arrives at B.
  Handshake a_peer_c(p.a.identity, c.identity->public_key());
  auto initiation = a_peer_c.create_initiation(7, p.now, p.wall, p.random);
  BOOST_REQUIRE(initiation.ok());
  BOOST_TEST(p.check_at_b(*initiation).verdict == Verdict::bad_mac1);
}

BOOST_AUTO_TEST_CASE(bad_mac1_is_refused_before_any_dh) {
  // The handshake steps take only a VerifiedHandshake, and only the cookie
  // checker makes one, after mac1: no path reaches a DH without it.
  static_assert(!std::is_constructible_v<VerifiedHandshake, ByteView, MessageType, bool>);
  static_assert(!std::is_default_constructible_v<VerifiedHandshake>);

  HandshakePair p;
  Bytes initiation = p.initiation_from_a();
  const int draws = p.random.fills();
  for (std::size_t at : {0u + 8, 40u, 100u, 116u, 131u}) {  // ephemeral, static, timestamp, mac1
    Bytes bad = initiation;
    bad[at] ^= 1;
    BOOST_TEST_CONTEXT("byte " << at) {
      auto checked = p.check_at_b(bad, false);
      BOOST_TEST(checked.verdict == Verdict::bad_mac1);
      BOOST_TEST(!checked.message.has_value());
      // Under load too: mac1 is judged first, and no cookie goes to junk.
      checked = p.check_at_b(bad, true);
      BOOST_TEST(checked.verdict == Verdict::bad_mac1);
      BOOST_TEST(checked.cookie_reply.empty());
    }
  }
  BOOST_TEST(p.random.fills() == draws);
  BOOST_TEST(p.b_lookups == 0);
  // mac2 is not covered by mac1: garbage there passes when not under load.
  Bytes mac2_junk = initiation;
  mac2_junk[140] ^= 1;
  BOOST_TEST((p.check_at_b(mac2_junk).verdict == Verdict::accepted));
  // Wrong sizes and types never reach the MAC.
  BOOST_TEST((p.check_at_b(ByteView(initiation.data(), 147)).verdict == Verdict::malformed));
  Bytes transport(32, 0);
  transport[0] = 4;
  BOOST_TEST((p.check_at_b(transport).verdict == Verdict::malformed));
}

BOOST_AUTO_TEST_CASE(replayed_initiation_is_rejected) {
  HandshakePair p;
  Bytes initiation = p.initiation_from_a();
  auto first = p.respond_at_b(initiation);
  BOOST_REQUIRE(first.ok());
  auto b_state = p.b_peer_a.state();
  auto b_index = p.b_peer_a.local_index();

  // The same bytes again, well after the flood limit: same timestamp.
  p.advance(Duration::seconds(1));
  auto again = p.respond_at_b(initiation);
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error() == HandshakeError::replayed_timestamp);
  BOOST_TEST(p.b_peer_a.state() == b_state);
  BOOST_TEST(p.b_peer_a.local_index() == b_index);

  // A restarted A (a new Handshake object) whose wall clock is behind, or
  // equal to, the newest stamp B accepted: refused until it passes it.
  for (Duration behind : {Duration::seconds(-10), Duration::zero()}) {
    BOOST_TEST_CONTEXT("wall clock moved by " << behind) {
      Handshake restarted(p.a.identity, p.b.identity->public_key());
      const WallTime accepted_wall = p.wall + Duration::seconds(-1);  // when `initiation` was made
      auto older = restarted.create_initiation(9, p.now, accepted_wall + behind, p.random);
      BOOST_REQUIRE(older.ok());
      auto refused = p.respond_at_b(*older);
      BOOST_REQUIRE(!refused.ok());
      BOOST_TEST(refused.error() == HandshakeError::replayed_timestamp);
    }
  }

  // A newer one goes through.
  p.advance(Duration::seconds(1));
  BOOST_TEST(p.respond_at_b(p.initiation_from_a()).ok());
}

BOOST_AUTO_TEST_CASE(initiator_stamps_keep_increasing_when_the_wall_clock_steps_back) {
  HandshakePair p;
  BOOST_REQUIRE(p.respond_at_b(p.initiation_from_a()).ok());
  const crypto::Tai64n accepted = p.b_peer_a.latest_timestamp();
  // The wall clock steps back an hour (NTP, a dead RTC): A's stamps still
  // move forward, one whitening step at a time, and B keeps accepting them.
  p.wall = p.wall + -Duration::hours(1);
  for (int i = 0; i < 3; ++i) {
    p.now += Duration::seconds(5);
    BOOST_REQUIRE(p.respond_at_b(p.initiation_from_a()).ok());
  }
  const std::int64_t step = crypto::tai64n_to_unix_ns(p.b_peer_a.latest_timestamp()) -
                            crypto::tai64n_to_unix_ns(accepted);
  BOOST_TEST(step == 3 * (std::int64_t(1) << 24));
  // Two initiations at the same wall time get distinct stamps, too.
  p.now += Duration::seconds(5);
  BOOST_REQUIRE(p.respond_at_b(p.initiation_from_a()).ok());
}

BOOST_AUTO_TEST_CASE(initiations_closer_than_20ms_are_a_flood) {
  HandshakePair p;
  BOOST_REQUIRE(p.respond_at_b(p.initiation_from_a()).ok());
  p.advance(Duration::milliseconds(19));
  auto flood = p.respond_at_b(p.initiation_from_a());
  BOOST_REQUIRE(!flood.ok());
  BOOST_TEST(flood.error() == HandshakeError::flood);
  p.advance(Duration::milliseconds(1));
  BOOST_TEST(p.respond_at_b(p.initiation_from_a()).ok());
}

BOOST_AUTO_TEST_CASE(responses_are_checked_for_state_and_index_first) {
  HandshakePair p;
  Bytes initiation = p.initiation_from_a();
  auto response = p.respond_at_b(initiation);
  BOOST_REQUIRE(response.ok());

  // Addressed to another index of A's.
  Bytes misaddressed = *response;
  store_le32(misaddressed.data() + 8, HandshakePair::kIndexA + 1);
  p.b_peer_a.cookie().add_macs(MutableByteView(misaddressed), p.now);
  auto consumed = p.response_at_a(misaddressed);
  BOOST_REQUIRE(!consumed.ok());
  BOOST_TEST(consumed.error() == HandshakeError::unknown_index);

  BOOST_REQUIRE(p.response_at_a(*response).ok());
  // The same response twice: A is no longer waiting for one.
  consumed = p.response_at_a(*response);
  BOOST_REQUIRE(!consumed.ok());
  BOOST_TEST(consumed.error() == HandshakeError::wrong_state);
}

BOOST_AUTO_TEST_CASE(a_new_initiation_supersedes_the_outstanding_one) {
  HandshakePair p;
  Bytes first = p.initiation_from_a(1);
  p.advance(Duration::seconds(5));  // a retransmission, with a new ephemeral
  Bytes second = p.initiation_from_a(2);
  BOOST_TEST(to_hex(ByteView(first).subview(8, 32)) != to_hex(ByteView(second).subview(8, 32)));
  // B answered the first before the second arrived: A drops that response.
  auto stale = p.respond_at_b(first);
  BOOST_REQUIRE(stale.ok());
  auto consumed = p.response_at_a(*stale);
  BOOST_REQUIRE(!consumed.ok());
  BOOST_TEST(consumed.error() == HandshakeError::unknown_index);
  p.advance(Duration::milliseconds(100));
  auto fresh = p.respond_at_b(second, 3);
  BOOST_REQUIRE(fresh.ok());
  BOOST_TEST(p.response_at_a(*fresh).ok());
}

BOOST_AUTO_TEST_CASE(simultaneous_initiations_the_peers_wins_at_the_responder) {
  HandshakePair p;
  // Both initiate; B's initiation reaches A, whose own is abandoned.
  Bytes from_a = p.initiation_from_a(1);
  auto from_b = p.b_peer_a.create_initiation(2, p.now, p.wall, p.random);
  BOOST_REQUIRE(from_b.ok());
  auto checked = p.check_at_a(*from_b);
  BOOST_REQUIRE(checked.verdict == Verdict::accepted);
  auto peer = consume_initiation(*p.a.identity, *checked.message, p.now, p.a_lookup());
  BOOST_REQUIRE(peer.ok());
  BOOST_TEST(p.a_peer_b.state() == Handshake::State::consumed_initiation);
  auto response = p.a_peer_b.create_response(3, p.now, p.random);
  BOOST_REQUIRE(response.ok());
  checked = p.check_at_b(*response);
  BOOST_REQUIRE(checked.verdict == Verdict::accepted);
  BOOST_REQUIRE(p.b_peer_a.consume_response(*checked.message).ok());
  p.begin_sessions();
  // Roles reversed: B initiated this session.
  BOOST_TEST(p.b_session.current() != nullptr);
  BOOST_TEST(p.a_session.next() != nullptr);
  (void)from_a;
}

BOOST_AUTO_TEST_CASE(finished_handshake_keeps_no_secrets) {
  HandshakePair p;
  Bytes initiation = p.initiation_from_a();
  BOOST_TEST(!all_zero(p.a_peer_b.ephemeral_private()));
  auto response = p.respond_at_b(initiation);
  BOOST_REQUIRE(response.ok());
  BOOST_REQUIRE(p.response_at_a(*response).ok());
  p.begin_sessions();
  for (const Handshake* h : {&p.a_peer_b, &p.b_peer_a}) {
    BOOST_TEST(h->state() == Handshake::State::zeroed);
    BOOST_TEST(all_zero(h->ephemeral_private()));
    BOOST_TEST(h->local_index() == 0u);
    BOOST_TEST(h->remote_index() == 0u);
  }
  // begin_session runs once per handshake.
  auto again = p.a_peer_b.begin_session(p.now);
  BOOST_REQUIRE(!again.ok());
  BOOST_TEST(again.error() == HandshakeError::wrong_state);
  // The replay state survives: the old initiation is still refused.
  p.advance(Duration::seconds(1));
  auto replay = p.respond_at_b(initiation);
  BOOST_REQUIRE(!replay.ok());
  BOOST_TEST(replay.error() == HandshakeError::replayed_timestamp);
}

BOOST_AUTO_TEST_CASE(low_order_peer_key_never_completes) {
  HandshakePair p;
  // A peer configured with a low-order point (here 0) as its public key:
  // every DH with it is zero, and the handshake refuses to run.
  Handshake broken(p.a.identity, crypto::PublicKey{});
  auto initiation = broken.create_initiation(9, p.now, p.wall, p.random);
  BOOST_REQUIRE(!initiation.ok());
  BOOST_TEST(initiation.error() == HandshakeError::low_order_key);
  BOOST_TEST(broken.state() == Handshake::State::zeroed);
  BOOST_TEST(all_zero(broken.ephemeral_private()));
}

BOOST_AUTO_TEST_SUITE_END()
