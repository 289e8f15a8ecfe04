// ChaCha20-Poly1305: RFC 8439 section 2.8.2, plus the per-packet cipher's
// buffer handling and WireGuard counter nonces.
#include "crypto/aead.h"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "core/bytes.h"

using namespace tether;
using namespace tether::crypto;

namespace {

const char kSunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen "
    "would be "
    "it.";
const char kRfc8439Ciphertext[] =
    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a"
    "9e060b29"
    "05d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d265"
    "86cec64b"
    "6116";
const char kRfc8439Tag[] = "1ae10b594f09e26a7e902ecbd0600691";

AeadKey rfc_key() {
  AeadKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x80 + i);
  return key;
}

ChaChaNonce rfc_nonce() {
  ChaChaNonce nonce{};
  Bytes b = hex_bytes("070000004041424344454647");
  std::copy(b.begin(), b.end(), nonce.begin());
  return nonce;
}

const Bytes kAad = hex_bytes("50515253c0c1c2c3c4c5c6c7");

}  // namespace

BOOST_AUTO_TEST_SUITE(chacha20_poly1305)

BOOST_AUTO_TEST_CASE(rfc8439_section_2_8_2_seal) {
  Bytes sealed = chacha20_poly1305_seal(rfc_key(), rfc_nonce(), kAad, ByteView(std::string_view(kSunscreen)));
  BOOST_REQUIRE_EQUAL(sealed.size(), std::string_view(kSunscreen).size() + kAeadTagSize);
  BOOST_TEST(to_hex(ByteView(sealed).subview(0, sealed.size() - 16)) == kRfc8439Ciphertext);
  BOOST_TEST(to_hex(ByteView(sealed).subview(sealed.size() - 16)) == kRfc8439Tag);
}

BOOST_AUTO_TEST_CASE(rfc8439_section_2_8_2_open) {
  Bytes sealed = hex_bytes(std::string(kRfc8439Ciphertext) + kRfc8439Tag);
  Result<Bytes> opened = chacha20_poly1305_open(rfc_key(), rfc_nonce(), kAad, sealed);
  BOOST_REQUIRE(opened.ok());
  BOOST_TEST(ByteView(*opened).as_string() == kSunscreen);
}

// Any flipped bit in tag, ciphertext or AAD, or the wrong nonce, fails
// authentication, and the error says so.
BOOST_AUTO_TEST_CASE(tampering_fails_authentication) {
  const Bytes good = hex_bytes(std::string(kRfc8439Ciphertext) + kRfc8439Tag);
  Bytes bad_tag = good;
  bad_tag.back() ^= 0x01;
  Result<Bytes> r = chacha20_poly1305_open(rfc_key(), rfc_nonce(), kAad, bad_tag);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::crypto);
  BOOST_TEST(r.error().message.find("authentication failed") != std::string::npos);

  Bytes bad_body = good;
  bad_body[3] ^= 0x80;
  BOOST_TEST(!chacha20_poly1305_open(rfc_key(), rfc_nonce(), kAad, bad_body).ok());

  Bytes bad_aad = kAad;
  bad_aad[0] ^= 0x01;
  BOOST_TEST(!chacha20_poly1305_open(rfc_key(), rfc_nonce(), bad_aad, good).ok());
  BOOST_TEST(!chacha20_poly1305_open(rfc_key(), wireguard_nonce(7), kAad, good).ok());
  BOOST_TEST(!chacha20_poly1305_open(rfc_key(), rfc_nonce(), kAad, Bytes(15)).ok());
}

// WireGuard nonce layout: 4 zero bytes then the little-endian counter.
BOOST_AUTO_TEST_CASE(wireguard_nonce_layout) {
  BOOST_TEST(to_hex(wireguard_nonce(0)) == "000000000000000000000000");
  BOOST_TEST(to_hex(wireguard_nonce(0x0102030405060708ULL)) == "000000000807060504030201");
}

// The counter overload equals sealing with the explicit nonce; an empty
// payload (a keepalive) gives a bare 16-byte tag that opens to nothing.
BOOST_AUTO_TEST_CASE(counter_form_and_keepalive) {
  ChaChaPolyCipher cipher(rfc_key());
  const Bytes payload = hex_bytes("45000054");
  Bytes a(payload.size() + 16), b(payload.size() + 16);
  BOOST_REQUIRE(cipher.seal(std::uint64_t{42}, ByteView(), payload, a).ok());
  BOOST_REQUIRE(cipher.seal(wireguard_nonce(42), ByteView(), payload, b).ok());
  BOOST_TEST(to_hex(a) == to_hex(b));

  Bytes keepalive(16);
  Result<std::size_t> n = cipher.seal(std::uint64_t{43}, ByteView(), ByteView(), keepalive);
  BOOST_REQUIRE(n.ok());
  BOOST_TEST(*n == 16u);
  Bytes nothing;
  Result<std::size_t> opened = cipher.open(std::uint64_t{43}, ByteView(), keepalive, nothing);
  BOOST_REQUIRE(opened.ok());
  BOOST_TEST(*opened == 0u);
}

// One cipher object alternating seal and open (the key is re-applied per
// call), in place, reproduces the RFC vector and round-trips.
BOOST_AUTO_TEST_CASE(in_place_and_alternating_directions) {
  ChaChaPolyCipher cipher(rfc_key());
  const std::string_view text(kSunscreen);
  Bytes buffer(text.begin(), text.end());
  buffer.resize(text.size() + kAeadTagSize);
  Result<std::size_t> sealed = cipher.seal(rfc_nonce(), kAad, ByteView(buffer.data(), text.size()), buffer);
  BOOST_REQUIRE(sealed.ok());
  BOOST_TEST(to_hex(buffer) == std::string(kRfc8439Ciphertext) + kRfc8439Tag);

  Result<std::size_t> opened =
      cipher.open(rfc_nonce(), kAad, buffer, MutableByteView(buffer.data(), text.size()));
  BOOST_REQUIRE(opened.ok());
  BOOST_TEST(ByteView(buffer.data(), *opened).as_string() == text);

  // And sealing again after opening still gives the vector.
  Bytes again(text.size() + kAeadTagSize);
  BOOST_REQUIRE(cipher.seal(rfc_nonce(), kAad, ByteView(text), again).ok());
  BOOST_TEST(to_hex(again) == std::string(kRfc8439Ciphertext) + kRfc8439Tag);
}

BOOST_AUTO_TEST_CASE(short_output_buffer_is_an_error_not_an_overflow) {
  ChaChaPolyCipher cipher(rfc_key());
  Bytes plaintext(100, 0x11);
  Bytes out(100 + 15);
  Result<std::size_t> r = cipher.seal(std::uint64_t{1}, ByteView(), plaintext, out);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().code == ErrorCode::invalid_argument);
}

// A failed open must not leave forged plaintext in the caller's buffer.
BOOST_AUTO_TEST_CASE(failed_open_wipes_output) {
  ChaChaPolyCipher cipher(rfc_key());
  Bytes sealed = hex_bytes(std::string(kRfc8439Ciphertext) + kRfc8439Tag);
  sealed.back() ^= 1;
  Bytes out(sealed.size() - 16, 0xaa);
  BOOST_REQUIRE(!cipher.open(rfc_nonce(), kAad, sealed, out).ok());
  for (std::uint8_t b : out) BOOST_TEST(b == 0);
}

// The per-packet path re-keys only when switching direction: runs of seals
// and of opens, with a forged packet in between, all stay correct.
BOOST_AUTO_TEST_CASE(runs_in_one_direction_and_recovery_after_forgery) {
  ChaChaPolyCipher sender(rfc_key());
  ChaChaPolyCipher receiver(rfc_key());
  std::vector<Bytes> packets;
  for (std::uint64_t counter = 0; counter < 4; ++counter) {
    Bytes payload(64 + counter, static_cast<std::uint8_t>(counter));
    Bytes sealed(payload.size() + kAeadTagSize);
    BOOST_REQUIRE(sender.seal(counter, ByteView(), payload, sealed).ok());
    BOOST_TEST(to_hex(sealed) ==
               to_hex(chacha20_poly1305_seal(rfc_key(), wireguard_nonce(counter), ByteView(), payload)));
    packets.push_back(sealed);
  }
  for (std::uint64_t counter = 0; counter < 4; ++counter) {
    Bytes forged = packets[counter];
    forged[0] ^= 1;
    Bytes out(forged.size() - kAeadTagSize);
    BOOST_TEST(!receiver.open(counter, ByteView(), forged, out).ok());
    Result<std::size_t> n = receiver.open(counter, ByteView(), packets[counter], out);
    BOOST_REQUIRE(n.ok());
    BOOST_TEST(to_hex(out) == to_hex(Bytes(64 + counter, static_cast<std::uint8_t>(counter))));
  }
}

BOOST_AUTO_TEST_CASE(moved_cipher_still_works) {
  ChaChaPolyCipher first(rfc_key());
  ChaChaPolyCipher second(std::move(first));
  Bytes out(std::string_view(kSunscreen).size() + 16);
  BOOST_REQUIRE(second.seal(rfc_nonce(), kAad, ByteView(std::string_view(kSunscreen)), out).ok());
  BOOST_TEST(to_hex(out) == std::string(kRfc8439Ciphertext) + kRfc8439Tag);
  BOOST_TEST(!first.seal(rfc_nonce(), kAad, ByteView(), out).ok());  // NOLINT(bugprone-use-after-move)
}

BOOST_AUTO_TEST_SUITE_END()
