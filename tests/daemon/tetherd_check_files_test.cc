// `tetherd -n` catches, as a check and before any start, what used to pass
// the check and fail (or misbehave) later (issue 14, hole 6): pki files that
// do not exist or do not load, a [Peer] whose key is the interface's own, a
// directory given as a config file, and NUL bytes, which must never be
// echoed raw into a diagnostic.

#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "crypto/self_signed_certificate.h"
#include "support/run_process.h"

using namespace tether;
using namespace tether::testing;

namespace {

const std::string kTetherd = TETHERD_PATH;
const std::string kPrivate = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `echo kPrivate | tetherctl pubkey`
const std::string kOwnPublic = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";

std::string relay_conf(const std::string& cert, const std::string& key) {
  return "pki mx cert \"" + cert + "\"\n"
         "pki mx key \"" + key + "\"\n"
         "listen on 127.0.0.1 tls pki mx\n"
         "action \"local\" maildir\n"
         "match from any for local action \"local\"\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tetherd_check_files)

BOOST_AUTO_TEST_CASE(a_pki_whose_files_are_missing_fails_the_check) {
  TestDirectory dir("tetherd-check-pki");
  const std::string conf = (dir / "smtpd.conf").string();
  const std::string cert = (dir / "nothere.crt").string();
  write_file(conf, relay_conf(cert, (dir / "nothere.key").string()));
  ProcessResult r = run_process({kTetherd, "-n", "--relay", conf});
  BOOST_TEST(r.exit_code == 1, r.describe());
  BOOST_TEST(r.out.empty(), r.describe());
  BOOST_TEST(has(r.err, conf + ":1: pki mx: "), r.describe());
  BOOST_TEST(has(r.err, cert), r.describe());
}

BOOST_AUTO_TEST_CASE(a_pki_whose_files_load_passes_the_check) {
  TestDirectory dir("tetherd-check-pki");
  auto made = crypto::make_self_signed_certificate("mx.example.org");
  BOOST_TEST_REQUIRE(made.ok());
  write_file(dir / "mx.crt", made->certificate_pem, 0644);
  write_file(dir / "mx.key", made->private_key_pem);
  const std::string conf = (dir / "smtpd.conf").string();
  write_file(conf, relay_conf((dir / "mx.crt").string(), (dir / "mx.key").string()));
  ProcessResult r = run_process({kTetherd, "-n", "--relay", conf});
  BOOST_TEST(r.exit_code == 0, r.describe());
  BOOST_TEST(r.out == "configuration OK\n", r.describe());

  // A key that is not the certificate's is caught too, as smtpd -n does.
  auto other = crypto::make_self_signed_certificate("other.example.org");
  BOOST_TEST_REQUIRE(other.ok());
  write_file(dir / "mx.key", other->private_key_pem);
  ProcessResult mismatched = run_process({kTetherd, "-n", "--relay", conf});
  BOOST_TEST(mismatched.exit_code == 1, mismatched.describe());
  BOOST_TEST(has(mismatched.err, conf + ":1: pki mx: "), mismatched.describe());
}

BOOST_AUTO_TEST_CASE(a_peer_with_the_interface_s_own_key_is_an_error) {
  TestDirectory dir("tetherd-check-peer");
  const std::string file = (dir / "tthd0.conf").string();
  write_file(file,
             "[Interface]\n"                            // 1
             "PrivateKey = " + kPrivate + "\n"          // 2
             "Address = 10.77.0.2/24\n"                 // 3
             "\n"                                       // 4
             "[Peer]\n"                                 // 5
             "PublicKey = " + kOwnPublic + "\n"   // 6
             "AllowedIPs = 10.77.0.1/32\n");            // 7
  ProcessResult r = run_process({kTetherd, "-n", "--tunnel", file});
  BOOST_TEST(r.exit_code == 1, r.describe());
  BOOST_TEST(has(r.err, file + ":6: PublicKey: this is the interface's own public key"), r.describe());
}

BOOST_AUTO_TEST_CASE(a_directory_is_not_a_config_file) {
  TestDirectory dir("tetherd-check-dir");
  const std::filesystem::path conf = dir / "smtpd.conf";
  std::filesystem::create_directory(conf);
  ProcessResult r = run_process({kTetherd, "-n", "--relay", conf.string()});
  BOOST_TEST(r.exit_code == 1, r.describe());
  BOOST_TEST(r.err == conf.string() + ": Is a directory\n", r.describe());
  BOOST_TEST(r.out.empty(), r.describe());
}

BOOST_AUTO_TEST_CASE(a_nul_byte_is_named_never_echoed) {
  TestDirectory dir("tetherd-check-nul");
  const std::string tunnel = (dir / "tthd0.conf").string();
  write_file(tunnel, "[Interface]\nPrivateKey = " + kPrivate + "\nAddress = 10.77.0." + std::string(1, '\0') +
                         "2/24\n[Pe" + std::string(1, '\0') + "er]\n");
  ProcessResult t = run_process({kTetherd, "-n", "--tunnel", tunnel});
  BOOST_TEST(t.exit_code == 1, t.describe());
  BOOST_TEST(!has(t.err, std::string(1, '\0')), t.describe());
  BOOST_TEST(has(t.err, tunnel + ":3: NUL byte"), t.describe());

  const std::string relay = (dir / "smtpd.conf").string();
  write_file(relay, "listen on 127.0.0.1\naction \"local\" maildir\nmatch from any for local action \"local\"\n"
                    "# a comment " + std::string(1, '\0') + " here\n");
  ProcessResult s = run_process({kTetherd, "-n", "--relay", relay});
  BOOST_TEST(s.exit_code == 1, s.describe());
  BOOST_TEST(!has(s.err, std::string(1, '\0')), s.describe());
  BOOST_TEST(has(s.err, relay + ":4: NUL byte"), s.describe());
}

BOOST_AUTO_TEST_SUITE_END()
