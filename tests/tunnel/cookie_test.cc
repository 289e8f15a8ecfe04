// Cookies under load, back to back (whitepaper 5.3, 5.4.7): a responder
// under load answers an initiation without a valid mac2 with a cookie
// reply and nothing else; the initiator stores the cookie (and nothing
// else changes); its next initiation carries mac2 and is processed. Cookies
// are bound to the source address and port and to the mac1 they answer,
// expire at the initiator after 120 s, and stop working when the
// responder's secret rotates (120 s).
//
// The device must also never take a new endpoint from a cookie reply (the
// roaming rule); that is the device's code, tested there.

#include "tunnel/cookie.h"

#include <boost/test/unit_test.hpp>

#include "crypto/aead.h"
#include "tunnel/handshake_pair.h"
#include "tunnel/messages.h"

using namespace tether;
using namespace tether::tunnel;
using tether::tunnel::testing::HandshakePair;
using Verdict = CookieChecker::Verdict;
using Consumed = CookieConsumer::Consumed;

namespace {

bool mac2_is_zero(ByteView handshake) {
  auto spans = mac_spans(handshake);
  BOOST_REQUIRE(spans.has_value());
  for (std::uint8_t b : spans->mac2)
    if (b != 0) return false;
  return true;
}

// A's initiation at B under load: the cookie reply B sends back.
CookieReply cookie_reply_for(HandshakePair& p, ByteView initiation) {
  auto checked = p.check_at_b(initiation, true);
  BOOST_REQUIRE(checked.verdict == Verdict::cookie_required);
  auto reply = decode_cookie_reply(checked.cookie_reply);
  BOOST_REQUIRE(reply.ok());
  return *reply;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cookies)

BOOST_AUTO_TEST_CASE(not_under_load_mac2_is_neither_required_nor_checked) {
  HandshakePair p;
  Bytes initiation = p.initiation_from_a();
  BOOST_TEST(mac2_is_zero(initiation));
  const int draws = p.random.fills();
  auto checked = p.check_at_b(initiation, false);
  BOOST_REQUIRE(checked.verdict == Verdict::accepted);
  BOOST_TEST(!checked.message->mac2_valid());
  BOOST_TEST(checked.cookie_reply.empty());
  BOOST_TEST(p.random.fills() == draws);  // no secret drawn, nothing to rotate
}

BOOST_AUTO_TEST_CASE(under_load_cookie_reply_then_retry_with_mac2_completes) {
  HandshakePair p;
  Bytes initiation = p.initiation_from_a();

  // B under load: no mac2, so a cookie reply and no handshake work at all.
  auto checked = p.check_at_b(initiation, true);
  BOOST_REQUIRE(checked.verdict == Verdict::cookie_required);
  BOOST_TEST(!checked.message.has_value());
  BOOST_TEST(checked.cookie_reply.size() == kCookieReplySize);
  auto reply = decode_cookie_reply(checked.cookie_reply);
  BOOST_REQUIRE(reply.ok());
  BOOST_TEST(reply->receiver_index == HandshakePair::kIndexA);  // back to the initiation's sender
  BOOST_TEST(p.b_lookups == 0);
  BOOST_TEST(p.b_peer_a.state() == Handshake::State::zeroed);

  // A stores the cookie; nothing else about A changes.
  BOOST_TEST(!p.a_peer_b.cookie().has_cookie(p.now));
  BOOST_TEST(p.a_peer_b.cookie().consume(*reply, p.now) == Consumed::stored);
  BOOST_TEST(p.a_peer_b.cookie().has_cookie(p.now));
  BOOST_TEST(p.a_peer_b.state() == Handshake::State::created_initiation);
  BOOST_TEST(p.a_peer_b.local_index() == HandshakePair::kIndexA);
  BOOST_TEST(p.a_session.empty());

  // The retry (the retransmit timer's job) carries mac2 and gets through.
  p.advance(Duration::seconds(5));
  Bytes retry = p.initiation_from_a(HandshakePair::kIndexA + 1);
  BOOST_TEST(!mac2_is_zero(retry));
  checked = p.check_at_b(retry, true);
  BOOST_REQUIRE(checked.verdict == Verdict::accepted);
  BOOST_TEST(checked.message->mac2_valid());
  auto peer = consume_initiation(*p.b.identity, *checked.message, p.now, p.b_lookup());
  BOOST_REQUIRE(peer.ok());
  auto response = p.b_peer_a.create_response(HandshakePair::kIndexB, p.now, p.random);
  BOOST_REQUIRE(response.ok());
  BOOST_REQUIRE(p.response_at_a(*response).ok());
  p.begin_sessions();

  Bytes datagram, plaintext;
  BOOST_REQUIRE(p.a_session.encrypt(ByteView(), p.now, datagram).ok());
  auto received = p.b_session.decrypt(*decode_transport(datagram), p.now, plaintext);
  BOOST_REQUIRE(received.ok());
  BOOST_TEST(received->keepalive);
}

BOOST_AUTO_TEST_CASE(cookie_is_bound_to_the_source_address_and_port) {
  HandshakePair p;
  CookieReply reply = cookie_reply_for(p, p.initiation_from_a());
  BOOST_REQUIRE(p.a_peer_b.cookie().consume(reply, p.now) == Consumed::stored);
  p.advance(Duration::seconds(1));
  Bytes retry = p.initiation_from_a();
  // The same message from another port (a NAT rebinding, or a spoofer
  // replaying it) fails mac2.
  Endpoint elsewhere(p.a.endpoint.address(), std::uint16_t(p.a.endpoint.port() + 1));
  auto checked = p.b.checker.check(retry, elsewhere, true, p.now, p.random);
  BOOST_TEST(checked.verdict == Verdict::cookie_required);
  Endpoint other_host = *Endpoint::parse("192.0.2.99:51820");
  checked = p.b.checker.check(retry, other_host, true, p.now, p.random);
  BOOST_TEST(checked.verdict == Verdict::cookie_required);
  BOOST_TEST(p.check_at_b(retry, true).verdict == Verdict::accepted);
}

BOOST_AUTO_TEST_CASE(cookie_reply_must_answer_the_last_mac1_sent) {
  HandshakePair p;
  // Nothing sent yet: any reply is unexpected.
  CookieConsumer fresh(p.b.identity->public_key());
  CookieReply reply = cookie_reply_for(p, p.initiation_from_a());
  BOOST_TEST(fresh.consume(reply, p.now) == Consumed::unexpected);

  // A sent another initiation since: the reply's AD (the old mac1) no
  // longer matches, and it does not decrypt.
  p.advance(Duration::seconds(1));
  Bytes second = p.initiation_from_a();
  BOOST_TEST(p.a_peer_b.cookie().consume(reply, p.now) == Consumed::forged);
  BOOST_TEST(!p.a_peer_b.cookie().has_cookie(p.now));

  // A tampered reply to the current message is refused too.
  CookieReply good = cookie_reply_for(p, second);
  CookieReply bad = good;
  bad.encrypted_cookie[3] ^= 1;
  BOOST_TEST(p.a_peer_b.cookie().consume(bad, p.now) == Consumed::forged);
  bad = good;
  bad.nonce[0] ^= 1;
  BOOST_TEST(p.a_peer_b.cookie().consume(bad, p.now) == Consumed::forged);
  BOOST_TEST(p.a_peer_b.cookie().consume(good, p.now) == Consumed::stored);
  // And the same reply again: one cookie per message sent.
  BOOST_TEST(p.a_peer_b.cookie().consume(good, p.now) == Consumed::unexpected);
  BOOST_TEST(p.a_peer_b.state() == Handshake::State::created_initiation);
}

BOOST_AUTO_TEST_CASE(cookie_from_another_responder_does_not_decrypt) {
  HandshakePair p;
  Bytes initiation = p.initiation_from_a();
  // A well-formed reply to A's very mac1, but encrypted under
  // HASH("cookie--" || C's key): only B's cookie key opens for A's peer B.
  const auto c_public = LocalIdentity(testing::wg_key(testing::kKeysC.private_key)).public_key();
  CookieReply reply;
  reply.receiver_index = HandshakePair::kIndexA;
  reply.nonce.fill(7);
  const Bytes cookie(kCookieSize, 0x5a);
  const Bytes sealed =
      crypto::xchacha20_poly1305_seal(cookie_key(c_public), reply.nonce, mac_spans(initiation)->mac1, cookie);
  std::copy(sealed.begin(), sealed.end(), reply.encrypted_cookie.begin());
  BOOST_TEST(p.a_peer_b.cookie().consume(reply, p.now) == Consumed::forged);
  // The same under B's key is accepted: the construction above is right.
  const Bytes good =
      crypto::xchacha20_poly1305_seal(cookie_key(p.b.identity->public_key()), reply.nonce, mac_spans(initiation)->mac1, cookie);
  std::copy(good.begin(), good.end(), reply.encrypted_cookie.begin());
  BOOST_TEST(p.a_peer_b.cookie().consume(reply, p.now) == Consumed::stored);
}

BOOST_AUTO_TEST_CASE(initiator_uses_a_cookie_for_120_seconds) {
  HandshakePair p;
  CookieReply reply = cookie_reply_for(p, p.initiation_from_a());
  BOOST_REQUIRE(p.a_peer_b.cookie().consume(reply, p.now) == Consumed::stored);
  const Time stored = p.now;

  p.now = stored + Duration::seconds(120) - Duration::nanoseconds(1);
  p.wall = p.wall + Duration::seconds(120);
  BOOST_TEST(!mac2_is_zero(p.initiation_from_a()));
  p.now = stored + Duration::seconds(120);
  p.wall = p.wall + Duration::seconds(1);
  BOOST_TEST(mac2_is_zero(p.initiation_from_a()));
}

BOOST_AUTO_TEST_CASE(responder_secret_rotates_every_120_seconds) {
  HandshakePair p;
  const Time start = p.now;
  const int before = p.random.fills();
  CookieReply first = cookie_reply_for(p, p.initiation_from_a());
  // The secret (drawn now) and the reply's nonce.
  BOOST_TEST(p.random.fills() - before == 3);  // + the initiation's ephemeral

  // A gets a cookie late in the secret's life...
  p.advance(Duration::seconds(100));
  Bytes second = p.initiation_from_a();
  CookieReply reply = cookie_reply_for(p, second);
  BOOST_REQUIRE(p.a_peer_b.cookie().consume(reply, p.now) == Consumed::stored);
  p.advance(Duration::seconds(10));
  BOOST_TEST(p.check_at_b(p.initiation_from_a(), true).verdict == Verdict::accepted);

  // ...and it stops working when the secret turns 120 s old, although A
  // still holds it as fresh.
  p.now = start + Duration::seconds(120);
  p.wall = p.wall + Duration::seconds(10);
  BOOST_REQUIRE(p.a_peer_b.cookie().has_cookie(p.now));
  Bytes stale = p.initiation_from_a();
  BOOST_TEST(!mac2_is_zero(stale));
  BOOST_TEST(p.check_at_b(stale, true).verdict == Verdict::cookie_required);
  (void)first;
}

BOOST_AUTO_TEST_CASE(responses_get_cookies_too) {
  HandshakePair p;
  auto response = p.respond_at_b(p.initiation_from_a());
  BOOST_REQUIRE(response.ok());
  // Now A is under load: B's response needs a cookie, addressed to B's index.
  auto checked = p.check_at_a(*response, true);
  BOOST_REQUIRE(checked.verdict == Verdict::cookie_required);
  auto reply = decode_cookie_reply(checked.cookie_reply);
  BOOST_REQUIRE(reply.ok());
  BOOST_TEST(reply->receiver_index == HandshakePair::kIndexB);
  BOOST_TEST(p.b_peer_a.cookie().consume(*reply, p.now) == Consumed::stored);
  BOOST_TEST(p.b_peer_a.state() == Handshake::State::created_response);
  // A's handshake is untouched by the refused response.
  BOOST_TEST(p.a_peer_b.state() == Handshake::State::created_initiation);
}

BOOST_AUTO_TEST_SUITE_END()
