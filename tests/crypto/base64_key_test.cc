// Base64 keys as `wg` prints them, checked against the real wireguard-tools.
#include "crypto/base64_key.h"

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>

#include "core/bytes.h"
#include "crypto/x25519.h"
#include "support/test_skip.h"

using namespace tether;
using namespace tether::crypto;

namespace {

// RFC 7748 6.1 Alice's keys in base64 (cross-checked: `echo <private> | wg pubkey`
// prints the public line below).
const char kAlicePrivate[] = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
const char kAlicePublic[] = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

std::string expect_error(std::string_view text) {
  Result<Key32> r = decode_base64_key(text);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "'" << text << "' must not decode");
  BOOST_TEST((r.error().code == ErrorCode::invalid_argument));
  return r.error().message;
}

// Runs a shell command, returns its stdout without the trailing newline, or
// nothing if it could not run or failed.
bool run(const std::string& command, std::string& output) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return false;
  output.clear();
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int status = pclose(pipe);
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  return status == 0;
}

bool have_wg() {
  std::string ignored;
  return run("command -v wg >/dev/null 2>&1 && echo yes", ignored) && ignored == "yes";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(base64_key)

BOOST_AUTO_TEST_CASE(known_keys_round_trip) {
  Result<Key32> priv = decode_base64_key(kAlicePrivate);
  BOOST_REQUIRE(priv.ok());
  BOOST_TEST(to_hex(*priv) == "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  BOOST_TEST(encode_base64_key(*priv) == kAlicePrivate);
  BOOST_TEST(encode_base64_key(derive_public_key(*priv)) == kAlicePublic);

  Key32 zeros{}, ones{};
  ones.fill(0xff);
  BOOST_TEST(encode_base64_key(zeros) == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  BOOST_TEST(encode_base64_key(ones) == "//////////////////////////////////////////8=");
  BOOST_TEST(to_hex(*decode_base64_key("//////////////////////////////////////////8=")) == to_hex(ones));
}

BOOST_AUTO_TEST_CASE(errors_name_the_problem) {
  BOOST_TEST(expect_error("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo") ==
             "key is 43 characters, expected 44");
  BOOST_TEST(expect_error("") == "key is 0 characters, expected 44");
  BOOST_TEST(expect_error(std::string(kAlicePrivate) + "\n") == "key is 45 characters, expected 44");
  BOOST_TEST(expect_error("dwdtC!MYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=") ==
             "invalid base64 character '!' at position 5");
  BOOST_TEST(expect_error("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25L=o=") ==
             "invalid base64 character '=' at position 41");
  BOOST_TEST(expect_error(std::string("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC\n=")) ==
             "invalid base64 character 0x0a at position 42");
  // URL-safe alphabet is not what wg uses.
  BOOST_TEST(expect_error("hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo=") ==
             "invalid base64 character '_' at position 23");
  BOOST_TEST(expect_error("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC==") ==
             "key decodes to 31 bytes, expected 32");
  BOOST_TEST(expect_error("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCoA") ==
             "key decodes to 33 bytes, expected 32");
  // 'p' leaves a 1 in the two bits past the 32nd byte; `wg pubkey` rejects
  // this spelling too.
  BOOST_TEST(
      expect_error("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp=").find("not a canonical base64 key") !=
      std::string::npos);
}

// `wg genkey | wg pubkey` from wireguard-tools: our decoder reads its keys,
// our encoder reproduces them, and our X25519 derives the same public key.
BOOST_AUTO_TEST_CASE(matches_wg_genkey_and_pubkey) {
  if (!have_wg()) {
    tether::testing::skip("`wg` (package wireguard-tools) is not installed: interop not checked");
    return;
  }
  for (int i = 0; i < 5; ++i) {
    std::string private_text, public_text;
    BOOST_REQUIRE(run("wg genkey", private_text));
    BOOST_REQUIRE(run("printf '%s\\n' '" + private_text + "' | wg pubkey", public_text));
    Result<Key32> priv = decode_base64_key(private_text);
    BOOST_REQUIRE_MESSAGE(priv.ok(), "wg genkey printed " << private_text);
    BOOST_TEST(encode_base64_key(*priv) == private_text);
    BOOST_TEST(to_hex(clamp_private_key(*priv)) == to_hex(*priv));  // wg genkey clamps
    BOOST_TEST(encode_base64_key(derive_public_key(*priv)) == public_text);
  }
  // And the other way: a key we made from our own "random" bytes.
  std::array<std::uint8_t, 32> random{};
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(i * 37 + 11);
  const PrivateKey ours = private_key_from_random(random);
  std::string wg_public;
  BOOST_REQUIRE(run("printf '%s\\n' '" + encode_base64_key(ours) + "' | wg pubkey", wg_public));
  BOOST_TEST(encode_base64_key(derive_public_key(ours)) == wg_public);
}

BOOST_AUTO_TEST_SUITE_END()
