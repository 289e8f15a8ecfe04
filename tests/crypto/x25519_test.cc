// X25519 known answers from RFC 7748 (sections 5.2 and 6.1).
#include "crypto/x25519.h"

#include <boost/test/unit_test.hpp>

#include "core/bytes.h"

using namespace tether;
using namespace tether::crypto;

namespace {

std::array<std::uint8_t, 32> key32(std::string_view hex) {
  Bytes b = hex_bytes(hex);
  BOOST_REQUIRE_EQUAL(b.size(), 32u);
  std::array<std::uint8_t, 32> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

std::string dh_hex(std::string_view scalar, std::string_view u) {
  Result<SharedSecret> r = x25519_shared_secret(key32(scalar), key32(u));
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  return to_hex(*r);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(x25519)

// RFC 7748 5.2: unclamped scalars and a u-coordinate with its top bit set
// (which must be masked), so this checks the library applies both rules.
BOOST_AUTO_TEST_CASE(rfc7748_section_5_2_vectors) {
  BOOST_TEST(dh_hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                    "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c") ==
             "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  BOOST_TEST(dh_hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                    "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493") ==
             "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

// RFC 7748 5.2 iterated test: k = X25519(k, u), u = old k, from k = u = 9.
BOOST_AUTO_TEST_CASE(rfc7748_iterated_1_and_1000) {
  PrivateKey k{};
  k[0] = 9;
  PublicKey u = k;
  for (int i = 1; i <= 1000; ++i) {
    Result<SharedSecret> r = x25519_shared_secret(k, u);
    BOOST_REQUIRE(r.ok());
    u = k;
    k = *r;
    if (i == 1) BOOST_TEST(to_hex(k) == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
  }
  BOOST_TEST(to_hex(k) == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

// RFC 7748 6.1: both public keys and the shared secret, from each side.
BOOST_AUTO_TEST_CASE(rfc7748_section_6_1_alice_and_bob) {
  const PrivateKey alice = key32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const PrivateKey bob = key32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  const PublicKey alice_public = derive_public_key(alice);
  const PublicKey bob_public = derive_public_key(bob);
  BOOST_TEST(to_hex(alice_public) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  BOOST_TEST(to_hex(bob_public) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");

  Result<SharedSecret> from_alice = x25519_shared_secret(alice, bob_public);
  Result<SharedSecret> from_bob = x25519_shared_secret(bob, alice_public);
  BOOST_REQUIRE(from_alice.ok());
  BOOST_REQUIRE(from_bob.ok());
  BOOST_TEST(to_hex(*from_alice) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  BOOST_TEST(to_hex(*from_bob) == to_hex(*from_alice));
}

// The prepared key gives the same answers as the free functions, for as
// many DHs as it is used in, and keeps its low-order check.
BOOST_AUTO_TEST_CASE(prepared_private_key_matches_the_free_functions) {
  const PrivateKey alice = key32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const PrivateKey bob = key32("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  X25519PrivateKey prepared(alice);
  BOOST_TEST(to_hex(prepared.public_key()) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  for (int i = 0; i < 3; ++i) {
    Result<SharedSecret> r = prepared.shared_secret(derive_public_key(bob));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(to_hex(*r) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  }
  // An unclamped scalar is clamped when used (RFC 7748 5.2's first vector).
  X25519PrivateKey unclamped(key32("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"));
  Result<SharedSecret> r = unclamped.shared_secret(key32("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(to_hex(*r) == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");

  Result<SharedSecret> low = prepared.shared_secret(PublicKey{});
  BOOST_REQUIRE(!low.ok());
  BOOST_TEST(low.error().code == ErrorCode::crypto);

  X25519PrivateKey moved(std::move(prepared));
  BOOST_TEST(to_hex(moved.public_key()) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  BOOST_TEST(moved.shared_secret(derive_public_key(bob)).ok());
}

// A low-order peer point (here u = 0 and u = 1) yields an all-zero secret,
// which WireGuard must refuse.
BOOST_AUTO_TEST_CASE(low_order_point_is_rejected) {
  const PrivateKey alice = key32("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  PublicKey zero{};
  Result<SharedSecret> r = x25519_shared_secret(alice, zero);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::crypto);
  BOOST_TEST(r.error().message.find("all zeros") != std::string::npos);
  PublicKey one{};
  one[0] = 1;
  BOOST_TEST(!x25519_shared_secret(alice, one).ok());
}

// Clamping, as `wg genkey` does it: low 3 bits clear, bit 255 clear, bit 254 set.
BOOST_AUTO_TEST_CASE(private_key_from_random_clamps) {
  std::array<std::uint8_t, 32> all_ones{};
  all_ones.fill(0xff);
  const PrivateKey k = private_key_from_random(all_ones);
  BOOST_TEST(k[0] == 0xf8);
  BOOST_TEST(k[31] == 0x7f);
  for (int i = 1; i < 31; ++i) BOOST_TEST(k[i] == 0xff);

  std::array<std::uint8_t, 32> zeros{};
  const PrivateKey z = private_key_from_random(zeros);
  BOOST_TEST(z[0] == 0x00);
  BOOST_TEST(z[31] == 0x40);
  // Already-clamped keys are unchanged.
  BOOST_TEST(to_hex(clamp_private_key(k)) == to_hex(k));
}

BOOST_AUTO_TEST_SUITE_END()
