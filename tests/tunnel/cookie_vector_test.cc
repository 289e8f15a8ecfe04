// mac1, mac2 and the cookie reply against an independent implementation
// (issue 9: cookie_test.cc only ever checks tether against itself). The
// known answers come from tests/tunnel/vectors/cookie_vectors.py: Python's
// hashlib BLAKE2s, python3-cryptography's ChaCha20-Poly1305 and an
// HChaCha20 written from the XChaCha draft. One exchange, seen from both
// sides: a responder under load answers an initiation with a cookie reply,
// and the initiator's next try carries mac2 made from that cookie.

#include <algorithm>

#include <boost/test/unit_test.hpp>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/time.h"
#include "crypto/x25519.h"
#include "tunnel/cookie.h"
#include "tunnel/messages.h"
#include "tunnel/scripted_random.h"

using namespace tether;
using namespace tether::tunnel;
using Verdict = CookieChecker::Verdict;

namespace {

// Output of `/usr/bin/python3 tests/tunnel/vectors/cookie_vectors.py`.
const char* const kResponderPrivate = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
const char* const kResponderPublic = "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254";
const char* const kInitiationBody =
    "0100000044332211030a11181f262d343b424950575e656c737a81888f969da4abb2b9c0c7ced5dce3eaf1f8ff060d141b222930373e"
    "454c535a61686f767d848b9299a0a7aeb5bcc3cad1d8dfe6edf4fb020910171e252c333a41484f565d646b727980878e959ca3aab1b8"
    "bfc6cdd4dbe2e9f0";
const char* const kMac1 = "fc21ae9fc5a2e42f3882533c05117e67";
const char* const kSecret = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";
const char* const kNonce = "808182838485868788898a8b8c8d8e8f9091929394959697";
const char* const kCookieReply =
    "0300000044332211808182838485868788898a8b8c8d8e8f9091929394959697a06fe6a0594cc3b5a48ed4bf8f611f02d4cb113f17"
    "6534c6334dd55adf01cd65";
const char* const kMac2 = "878cb34784fac67ba19c95b3b0fb665e";
const char* const kSource = "198.51.100.7:51820";

crypto::PublicKey responder_public() {
  crypto::PublicKey key{};
  const Bytes bytes = hex_bytes(kResponderPublic);
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

// The initiation with the given MAC fields appended (zeros for none).
Bytes initiation(const std::string& mac1_hex, const std::string& mac2_hex) {
  Bytes b = hex_bytes(kInitiationBody);
  const Bytes mac1 = mac1_hex.empty() ? Bytes(16, 0) : hex_bytes(mac1_hex);
  const Bytes mac2 = mac2_hex.empty() ? Bytes(16, 0) : hex_bytes(mac2_hex);
  b.insert(b.end(), mac1.begin(), mac1.end());
  b.insert(b.end(), mac2.begin(), mac2.end());
  return b;
}

std::string mac1_of(ByteView datagram) { return to_hex(mac_spans(datagram)->mac1); }
std::string mac2_of(ByteView datagram) { return to_hex(mac_spans(datagram)->mac2); }

const Time kNow = Time::from_ns(std::int64_t(1000) * 1000'000'000);

}  // namespace

BOOST_AUTO_TEST_SUITE(cookie_vectors)

BOOST_AUTO_TEST_CASE(the_responder_key_is_x25519_of_its_private_key) {
  crypto::PrivateKey key{};
  const Bytes bytes = hex_bytes(kResponderPrivate);
  std::copy(bytes.begin(), bytes.end(), key.begin());
  BOOST_TEST(to_hex(crypto::derive_public_key(key)) == kResponderPublic);
}

BOOST_AUTO_TEST_CASE(the_initiator_macs_and_takes_the_cookie_as_python_does) {
  CookieConsumer initiator(responder_public());
  Bytes first = initiation("", "");
  BOOST_TEST_REQUIRE(initiator.add_macs(MutableByteView(first), kNow));
  BOOST_TEST(mac1_of(first) == kMac1);
  BOOST_TEST(mac2_of(first) == std::string(32, '0'));  // no cookie yet

  auto reply = decode_cookie_reply(hex_bytes(kCookieReply));
  BOOST_TEST_REQUIRE(reply.ok());
  BOOST_TEST(initiator.consume(*reply, kNow) == CookieConsumer::Consumed::stored);

  Bytes second = initiation("", "");
  BOOST_TEST_REQUIRE(initiator.add_macs(MutableByteView(second), kNow + Duration::seconds(1)));
  BOOST_TEST(mac1_of(second) == kMac1);
  BOOST_TEST(mac2_of(second) == kMac2);
}

BOOST_AUTO_TEST_CASE(the_responder_under_load_answers_and_accepts_as_python_does) {
  CookieChecker responder(responder_public());
  tunnel::testing::ScriptedRandom random;
  random.queue(hex_bytes(kSecret));  // the cookie secret, drawn first
  random.queue(hex_bytes(kNonce));   // then the reply's nonce
  const Endpoint source = *Endpoint::parse(kSource);

  const Bytes first = initiation(kMac1, "");
  auto answered = responder.check(first, source, true, kNow, random);
  BOOST_TEST_REQUIRE(answered.verdict == Verdict::cookie_required);
  BOOST_TEST(to_hex(answered.cookie_reply) == kCookieReply);

  const Bytes second = initiation(kMac1, kMac2);
  auto accepted = responder.check(second, source, true, kNow + Duration::seconds(1), random);
  BOOST_TEST_REQUIRE(accepted.verdict == Verdict::accepted);
  BOOST_TEST(accepted.message->mac2_valid());

  // From another port the cookie is not this sender's: another reply.
  auto elsewhere = responder.check(second, *Endpoint::parse("198.51.100.7:51821"), true,
                                   kNow + Duration::seconds(2), random);
  BOOST_TEST(elsewhere.verdict == Verdict::cookie_required);
}

BOOST_AUTO_TEST_SUITE_END()
