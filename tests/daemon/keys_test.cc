// tetherctl genkey/genpsk/pubkey against the real `wg` from wireguard-tools,
// both directions: keys from either tool give the same public key in both,
// and both refuse the same bad input with the same words.

#include <boost/test/unit_test.hpp>

#include "crypto/base64_key.h"
#include "daemon/key_commands.h"
#include "support/run_process.h"

using namespace tether;
using namespace tether::testing;

namespace {

const std::string kTetherctl = TETHERCTL_PATH;

boost::test_tools::assertion_result needs_wg(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result result(program_exists("wg"));
  result.message() << "SKIPPED: needs wg (Debian package wireguard-tools)";
  return result;
}

ProcessResult tetherctl(const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<std::string> argv{kTetherctl};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, input);
}

ProcessResult wg(const std::vector<std::string>& args, const std::string& input = "") {
  std::vector<std::string> argv{"wg"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, input);
}

// "wg: Key is ..." and "tetherctl: Key is ..." say the same thing.
std::string without_program(const std::string& err) {
  auto colon = err.find(": ");
  return colon == std::string::npos ? err : err.substr(colon + 2);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tetherctl_keys)

BOOST_AUTO_TEST_CASE(wg_private_keys_give_the_same_public_key, *boost::unit_test::precondition(needs_wg)) {
  for (int i = 0; i < 5; ++i) {
    ProcessResult key = wg({"genkey"});
    BOOST_TEST_REQUIRE(key.exit_code == 0, key.describe());
    ProcessResult theirs = wg({"pubkey"}, key.out);
    ProcessResult ours = tetherctl({"pubkey"}, key.out);
    BOOST_TEST_REQUIRE(ours.exit_code == 0, ours.describe());
    BOOST_TEST(ours.out == theirs.out);
    BOOST_TEST(ours.err.empty());
  }
}

BOOST_AUTO_TEST_CASE(tetherctl_private_keys_are_what_wg_expects, *boost::unit_test::precondition(needs_wg)) {
  for (int i = 0; i < 5; ++i) {
    ProcessResult key = tetherctl({"genkey"});
    BOOST_TEST_REQUIRE(key.exit_code == 0, key.describe());
    BOOST_TEST_REQUIRE(key.out.size() == 45u);  // 44 base64 characters and a newline, as wg genkey
    BOOST_TEST(key.out.back() == '\n');
    auto decoded = crypto::decode_base64_key(key.out.substr(0, 44));
    BOOST_TEST_REQUIRE(decoded.ok());
    // Clamped, as `wg genkey` leaves it.
    BOOST_TEST(((*decoded)[0] & 7) == 0);
    BOOST_TEST(((*decoded)[31] & 0xc0) == 0x40);
    ProcessResult theirs = wg({"pubkey"}, key.out);
    ProcessResult ours = tetherctl({"pubkey"}, key.out);
    BOOST_TEST_REQUIRE(theirs.exit_code == 0, theirs.describe());
    BOOST_TEST(ours.out == theirs.out);
  }
  // Two calls, two keys.
  BOOST_TEST(tetherctl({"genkey"}).out != tetherctl({"genkey"}).out);
}

BOOST_AUTO_TEST_CASE(preshared_keys_are_unclamped_like_wg_genpsk, *boost::unit_test::precondition(needs_wg)) {
  ProcessResult psk = tetherctl({"genpsk"});
  BOOST_TEST_REQUIRE(psk.exit_code == 0, psk.describe());
  BOOST_TEST(psk.out.size() == 45u);
  // wg takes it wherever a key goes; pubkey clamps it on the way, both tools alike.
  BOOST_TEST(tetherctl({"pubkey"}, psk.out).out == wg({"pubkey"}, psk.out).out);
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_as_wg_refuses_it, *boost::unit_test::precondition(needs_wg)) {
  const std::string key = wg({"genkey"}).out.substr(0, 44);
  const std::vector<std::string> bad = {
      "",
      "short\n",
      key.substr(0, 43) + "\n",           // one character missing
      " " + key + "\n",                   // leading space
      key + "x\n",                        // trailing garbage
      key + "\n" + key + "\n",            // two keys
      key.substr(0, 42) + "!=\n",         // not base64
      key.substr(0, 42) + "B=",           // nonzero unused bits
  };
  for (const std::string& input : bad) {
    ProcessResult theirs = wg({"pubkey"}, input);
    ProcessResult ours = tetherctl({"pubkey"}, input);
    BOOST_TEST(theirs.exit_code == 1, "wg on '" << input << "': " << theirs.describe());
    BOOST_TEST(ours.exit_code == 1, "tetherctl on '" << input << "': " << ours.describe());
    BOOST_TEST(ours.out.empty());
    BOOST_TEST(without_program(ours.err) == without_program(theirs.err), "input '" << input << "'");
  }
  // What wg tolerates after the key, so do we.
  const std::string fine = key + "\n\n \t\r\n";
  ProcessResult theirs = wg({"pubkey"}, fine);
  ProcessResult ours = tetherctl({"pubkey"}, fine);
  BOOST_TEST_REQUIRE(theirs.exit_code == 0, theirs.describe());
  BOOST_TEST(ours.exit_code == 0, ours.describe());
  BOOST_TEST(ours.out == theirs.out);
}

BOOST_AUTO_TEST_CASE(key_commands_in_process) {
  auto key = control::generate_key_text(true);
  BOOST_TEST_REQUIRE(key.ok());
  auto pub = control::public_key_text(*key);
  BOOST_TEST_REQUIRE(pub.ok());
  BOOST_TEST(pub->size() == 45u);
  // RFC 7748's Alice: private 77076d0a..., public 8520f009...
  auto alice = control::public_key_text("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n");
  BOOST_TEST_REQUIRE(alice.ok());
  BOOST_TEST(*alice == "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\n");
}

BOOST_AUTO_TEST_SUITE_END()
