// HChaCha20 and XChaCha20-Poly1305: draft-irtf-cfrg-xchacha-03, sections
// 2.2.1 and A.3.1.
#include <boost/test/unit_test.hpp>
#include <string>

#include "core/bytes.h"
#include "crypto/aead.h"
#include "crypto/hchacha20.h"

using namespace tether;
using namespace tether::crypto;

namespace {

template <std::size_t N>
std::array<std::uint8_t, N> fixed(std::string_view hex) {
  Bytes b = hex_bytes(hex);
  BOOST_REQUIRE_EQUAL(b.size(), N);
  std::array<std::uint8_t, N> out{};
  std::copy(b.begin(), b.end(), out.begin());
  return out;
}

const char kSunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen "
    "would be "
    "it.";
const char kXChaChaCiphertext[] =
    "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c670"
    "8c54c216"
    "cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f6"
    "15c68b13"
    "b52e";
const char kXChaChaTag[] = "c0875924c1c7987947deafd8780acf49";

}  // namespace

BOOST_AUTO_TEST_SUITE(xchacha20_poly1305)

BOOST_AUTO_TEST_CASE(hchacha20_draft_section_2_2_1) {
  const auto key = fixed<32>("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const auto nonce = fixed<16>("000000090000004a0000000031415927");
  BOOST_TEST(to_hex(hchacha20(key, nonce)) ==
             "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
}

BOOST_AUTO_TEST_CASE(aead_xchacha20_poly1305_draft_section_a_3_1) {
  const auto key = fixed<32>("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
  const auto nonce = fixed<24>("404142434445464748494a4b4c4d4e4f5051525354555657");
  const Bytes aad = hex_bytes("50515253c0c1c2c3c4c5c6c7");

  Bytes sealed = xchacha20_poly1305_seal(key, nonce, aad, ByteView(std::string_view(kSunscreen)));
  BOOST_TEST(to_hex(sealed) == std::string(kXChaChaCiphertext) + kXChaChaTag);

  Result<Bytes> opened = xchacha20_poly1305_open(key, nonce, aad, sealed);
  BOOST_REQUIRE(opened.ok());
  BOOST_TEST(ByteView(*opened).as_string() == kSunscreen);

  sealed[10] ^= 0x04;
  BOOST_TEST(!xchacha20_poly1305_open(key, nonce, aad, sealed).ok());
}

BOOST_AUTO_TEST_SUITE_END()
