// Known answers for the handshake's Noise layer.
//
// The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s vector below is copied from the
// public cacophony vector set as shipped in mcginty/snow,
// tests/vectors/cacophony.txt (the entry with that protocol_name). It
// reproduces WireGuard's derivation byte for byte with
// the vector's prologue in the place of WireGuard's identifier: the
// vector's single psk sits at position 2, as WireGuard's does, and WireGuard
// differs only in its payloads (a timestamp and nothing), which this layer
// takes as parameters. Its handshake messages, handshake hash and the four
// transport messages after Split() are all checked.
//
// WireGuard's own starting point, HASH(construction) and
// HASH(that || identifier), is checked against the constants boringtun
// carries (src/noise/handshake.rs INITIAL_CHAIN_KEY / INITIAL_CHAIN_HASH).

#include "tunnel/noise.h"

#include <boost/test/unit_test.hpp>

#include "crypto/aead.h"
#include "crypto/blake2s.h"
#include "crypto/x25519.h"
#include "tunnel/keypair.h"

using namespace tether;
using namespace tether::tunnel;

namespace {

template <std::size_t N = 32>
std::array<std::uint8_t, N> key(std::string_view hex) {
  Bytes b = hex_bytes(hex);
  BOOST_REQUIRE_EQUAL(b.size(), N);
  std::array<std::uint8_t, N> a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

// mcginty/snow tests/vectors/cacophony.txt, "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".
namespace vector {
constexpr std::string_view prologue = "4a6f686e2047616c74";
constexpr std::string_view psk = "54686973206973206d7920417573747269616e20706572737065637469766521";
constexpr std::string_view init_static = "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1";
constexpr std::string_view init_ephemeral = "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a";
constexpr std::string_view init_remote_static = "31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62";
constexpr std::string_view resp_static = "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
constexpr std::string_view resp_ephemeral = "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b";
constexpr std::string_view handshake_hash = "f5191b875290abcd41347ac3622d9679688a7e980229cb937ef748336cfde0e5";

struct Message {
  std::string_view payload;
  std::string_view ciphertext;
};
constexpr Message messages[] = {
    {"4c756477696720766f6e204d69736573",
     "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944001e21de9f98ddd8e2ad57527207feb56253c9c94a9e496"
     "782ecfcb2a75fbcaf1b52948cc48daefe660c62119ab5000980c84831215f2441eba616548e832985464cf17e51ee93109008399a21f7e1"
     "3f"},
    {"4d757272617920526f746862617264",
     "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843cb765f2caef0751b8f007572dab0322217755c0632f3657"
     "17edbf34d33e87a"},
    {"462e20412e20486179656b", "8153ca9833bc3c1b91a7e66e5f4d4f5b59bf9e64c2f20d15f0bba7"},
    {"4361726c204d656e676572", "07af0c9c86e1b4e80f36b04ff7688d51141af3debd0332f0a705ef"},
    {"4a65616e2d426170746973746520536179", "6ab1467c0448cc78394494abaaf23afce0e234315d6e2624dcbfa8a21c1c4d073d"},
    {"457567656e2042f6686d20766f6e2042617765726b",
     "dfc346c0d2296ae6cf1acf6f12b8456a1dba228cf8d8b774aacf1c47fc53aa80ebc7a4c292"},
};
}  // namespace vector

}  // namespace

BOOST_AUTO_TEST_SUITE(noise_known_answers)

BOOST_AUTO_TEST_CASE(wireguard_initial_chaining_key_and_hash) {
  // boringtun INITIAL_CHAIN_KEY / INITIAL_CHAIN_HASH, as hex.
  const auto initial_chain_key = key("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
  const auto initial_chain_hash = key("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3");
  const auto responder = crypto::derive_public_key(key(vector::resp_static));
  noise::SymmetricState state(ByteView(noise::kIdentifier), responder);
  BOOST_TEST(to_hex(state.chaining_key()) == to_hex(initial_chain_key));
  // The constructor has already mixed in the responder's static key.
  BOOST_TEST(to_hex(state.hash()) == to_hex(crypto::blake2s_256(initial_chain_hash, responder)));
}

BOOST_AUTO_TEST_CASE(cacophony_ikpsk2_vector) {
  const Bytes prologue = hex_bytes(vector::prologue);
  const auto psk = key(vector::psk);
  const auto init_static = key(vector::init_static);
  const auto init_ephemeral = key(vector::init_ephemeral);
  const auto resp_static = key(vector::resp_static);
  const auto resp_ephemeral = key(vector::resp_ephemeral);
  const auto init_static_public = crypto::derive_public_key(init_static);
  const auto resp_static_public = crypto::derive_public_key(resp_static);
  BOOST_TEST(to_hex(resp_static_public) == vector::init_remote_static);

  noise::SymmetricState initiator(prologue, resp_static_public);
  noise::SymmetricState responder(prologue, resp_static_public);

  // -> e, es, s, ss, {payload}
  const Bytes payload0 = hex_bytes(vector::messages[0].payload);
  const auto ss_initiator = crypto::x25519_shared_secret(init_static, resp_static_public);
  BOOST_REQUIRE(ss_initiator.ok());
  Bytes message0(noise::first_message_size(payload0.size()));
  BOOST_REQUIRE(noise::write_first_message(initiator, crypto::X25519PrivateKey(init_ephemeral), init_static_public, resp_static_public,
                                           *ss_initiator, payload0, message0)
                    .ok());
  BOOST_TEST(to_hex(message0) == vector::messages[0].ciphertext);

  auto identity = noise::read_first_message_identity(responder, crypto::X25519PrivateKey(resp_static), message0);
  BOOST_REQUIRE(identity.ok());
  BOOST_TEST(to_hex(identity->initiator_static) == to_hex(init_static_public));
  const auto ss_responder = crypto::x25519_shared_secret(resp_static, identity->initiator_static);
  BOOST_REQUIRE(ss_responder.ok());
  Bytes received0(message0.size() - noise::first_message_size(0));
  BOOST_REQUIRE(noise::read_first_message_payload(responder, *ss_responder, message0, received0).ok());
  BOOST_TEST(to_hex(received0) == vector::messages[0].payload);

  // <- e, ee, se, psk, {payload}
  const Bytes payload1 = hex_bytes(vector::messages[1].payload);
  Bytes message1(noise::second_message_size(payload1.size()));
  BOOST_REQUIRE(noise::write_second_message(responder, crypto::X25519PrivateKey(resp_ephemeral), identity->ephemeral,
                                            identity->initiator_static, psk, payload1, message1)
                    .ok());
  BOOST_TEST(to_hex(message1) == vector::messages[1].ciphertext);

  Bytes received1(message1.size() - noise::second_message_size(0));
  auto responder_ephemeral = noise::read_second_message(initiator, crypto::X25519PrivateKey(init_ephemeral),
                                                        crypto::X25519PrivateKey(init_static), psk, message1, received1);
  BOOST_REQUIRE(responder_ephemeral.ok());
  BOOST_TEST(to_hex(*responder_ephemeral) == to_hex(crypto::derive_public_key(resp_ephemeral)));
  BOOST_TEST(to_hex(received1) == vector::messages[1].payload);

  BOOST_TEST(to_hex(initiator.hash()) == vector::handshake_hash);
  BOOST_TEST(to_hex(responder.hash()) == vector::handshake_hash);

  // Transport: initiator and responder alternate, each direction counting
  // its nonces from 0, no associated data.
  auto initiator_keys = initiator.split(true);
  auto responder_keys = responder.split(false);
  BOOST_TEST(to_hex(initiator_keys.send) == to_hex(responder_keys.receive));
  BOOST_TEST(to_hex(initiator_keys.receive) == to_hex(responder_keys.send));

  // Receiving goes through Keypair::decrypt, the transport path WireGuard
  // uses (padding is the sender's business, so the vector's unpadded
  // payloads decrypt as they are).
  Keypair initiator_keypair(initiator_keys, 1, 2, true, Time::zero());
  Keypair responder_keypair(responder_keys, 2, 1, false, Time::zero());
  std::uint64_t counters[2] = {0, 0};
  for (std::size_t i = 2; i < std::size(vector::messages); ++i) {
    BOOST_TEST_CONTEXT("transport message " << i) {
      const bool from_initiator = i % 2 == 0;
      const Bytes payload = hex_bytes(vector::messages[i].payload);
      const crypto::AeadKey& send_key = from_initiator ? initiator_keys.send : responder_keys.send;
      std::uint64_t& counter = counters[from_initiator ? 0 : 1];
      const Bytes sealed = crypto::chacha20_poly1305_seal(send_key, crypto::wireguard_nonce(counter), ByteView(), payload);
      BOOST_TEST(to_hex(sealed) == vector::messages[i].ciphertext);

      Transport message;
      message.counter = counter;
      message.encrypted_packet = sealed;
      Bytes plaintext;
      Keypair& receiver = from_initiator ? responder_keypair : initiator_keypair;
      auto opened = receiver.decrypt(message, Time::zero(), plaintext);
      BOOST_REQUIRE(opened.ok());
      BOOST_TEST(to_hex(plaintext) == vector::messages[i].payload);
      ++counter;
    }
  }
}

BOOST_AUTO_TEST_CASE(vector_second_message_under_a_wrong_psk_fails) {
  const Bytes prologue = hex_bytes(vector::prologue);
  const auto init_static = key(vector::init_static);
  const auto init_ephemeral = key(vector::init_ephemeral);
  const auto resp_static_public = crypto::derive_public_key(key(vector::resp_static));
  noise::SymmetricState initiator(prologue, resp_static_public);
  const auto ss = crypto::x25519_shared_secret(init_static, resp_static_public);
  BOOST_REQUIRE(ss.ok());
  const Bytes payload0 = hex_bytes(vector::messages[0].payload);
  Bytes message0(noise::first_message_size(payload0.size()));
  BOOST_REQUIRE(noise::write_first_message(initiator, crypto::X25519PrivateKey(init_ephemeral),
                                           crypto::derive_public_key(init_static),
                                           resp_static_public, *ss, payload0, message0)
                    .ok());

  const Bytes message1 = hex_bytes(vector::messages[1].ciphertext);
  Bytes payload(message1.size() - noise::second_message_size(0));
  auto wrong_psk = key(vector::psk);
  wrong_psk[0] ^= 1;
  noise::SymmetricState attempt = initiator;
  const crypto::X25519PrivateKey ephemeral(init_ephemeral), initiator_static(init_static);
  auto read = noise::read_second_message(attempt, ephemeral, initiator_static, wrong_psk, message1, payload);
  BOOST_REQUIRE(!read.ok());
  BOOST_TEST(read.error() == HandshakeError::bad_response);
  // The same state with the right PSK reads it: only the PSK differed.
  read = noise::read_second_message(initiator, ephemeral, initiator_static, key(vector::psk), message1, payload);
  BOOST_TEST(read.ok());
}

BOOST_AUTO_TEST_SUITE_END()
