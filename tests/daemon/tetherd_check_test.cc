// `tetherd -n`: checks a tunnel file the way `smtpd -n` checks smtpd.conf,
// printing every problem as FILE:LINE and exiting 0 or 1; and the option
// and file-name rules behind it.

#include <boost/test/unit_test.hpp>

#include "support/run_process.h"
#include "daemon/tetherd_options.h"

using namespace tether;
using namespace tether::testing;

namespace {

const std::string kTetherd = TETHERD_PATH;

const std::string kPrivate = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
// Not kPrivate's own public key: a peer with that is an error.
const std::string kPeer = "6BKdJWRd/KyJ/S3/Hqs9Qngr7On6S3smBxwjQvUbA0E=";

std::string good_conf() {
  return "[Interface]\n"
         "PrivateKey = " + kPrivate + "\n"
         "Address = 10.77.0.2/24\n"
         "MTU = 1380\n"
         "\n"
         "[Peer]\n"
         "PublicKey = " + kPeer + "\n"
         "Endpoint = relay.example.net:51820\n"
         "AllowedIPs = 10.77.0.1/32\n"
         "PersistentKeepalive = 25\n";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tetherd_check)

BOOST_AUTO_TEST_CASE(a_good_file_is_ok) {
  TestDirectory dir("tetherd-check");
  write_file(dir / "tthd0.conf", good_conf(), 0600);
  ProcessResult r = run_process({kTetherd, "-n", "--tunnel", (dir / "tthd0.conf").string()});
  BOOST_TEST(r.exit_code == 0, r.describe());
  BOOST_TEST(r.out == "configuration OK\n", r.describe());
  BOOST_TEST(r.err.empty(), r.describe());
}

BOOST_AUTO_TEST_CASE(a_readable_private_key_is_a_warning_not_an_error) {
  TestDirectory dir("tetherd-check");
  const std::string file = (dir / "tthd0.conf").string();
  write_file(file, good_conf(), 0644);
  ProcessResult r = run_process({kTetherd, "-n", "--tunnel", file});
  BOOST_TEST(r.exit_code == 0, r.describe());
  BOOST_TEST(has(r.err, file + ": warning: holds a PrivateKey but is readable by others (mode 0644); chmod 600"),
             r.describe());
  BOOST_TEST(r.out == "configuration OK\n");
}

BOOST_AUTO_TEST_CASE(every_error_is_named_by_file_and_line) {
  TestDirectory dir("tetherd-check");
  const std::string file = (dir / "bad0.conf").string();
  write_file(file,
             "[Interface]\n"                              // 1
             "PrivateKey = " + kPrivate.substr(1) + "\n"  // 2: 43 characters
             "ListenPort = 70000\n"                       // 3
             "Frobnicate = yes\n"                         // 4
             "\n"                                         // 5
             "[Peer]\n"                                   // 6
             "PublicKey = " + kPeer + "\n"                // 7
             "AllowedIPs = 10.77.0.300/32\n"              // 8
             "PersistentKeepalive = often\n",             // 9
             0600);
  ProcessResult r = run_process({kTetherd, "-n", "--tunnel", file});
  BOOST_TEST(r.exit_code == 1, r.describe());
  BOOST_TEST(r.out.empty(), r.describe());
  for (int line : {2, 3, 4, 8, 9}) BOOST_TEST(has(r.err, file + ":" + std::to_string(line) + ": "), "line " << line << "\n" << r.describe());
  BOOST_TEST(has(r.err, file + ":2: PrivateKey: key is 43 characters, expected 44"), r.describe());
}

BOOST_AUTO_TEST_CASE(the_file_name_must_make_an_interface_name) {
  TestDirectory dir("tetherd-check");
  const std::string file = (dir / "much-too-long-name.conf").string();
  write_file(file, good_conf());
  ProcessResult r = run_process({kTetherd, "-n", "--tunnel", file});
  BOOST_TEST(r.exit_code == 1, r.describe());
  BOOST_TEST(has(r.err, "the file name must be an interface name"), r.describe());

  ProcessResult missing = run_process({kTetherd, "-n", "--tunnel", (dir / "nothere.conf").string()});
  BOOST_TEST(missing.exit_code == 1, missing.describe());
  BOOST_TEST(has(missing.err, "nothere.conf: No such file or directory"), missing.describe());
}

BOOST_AUTO_TEST_CASE(bad_usage_exits_1_with_the_usage) {
  ProcessResult r = run_process({kTetherd, "--tunnel"});
  BOOST_TEST(r.exit_code == 1, r.describe());
  BOOST_TEST(has(r.err, "tetherd: --tunnel needs a value"), r.describe());
  BOOST_TEST(has(r.err, "usage: tetherd --tunnel FILE.conf"), r.describe());
  r = run_process({kTetherd, "--frob"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(has(r.err, "unknown option '--frob'"), r.describe());
  r = run_process({kTetherd, "--help"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(has(r.out, "--control PATH"));
}

BOOST_AUTO_TEST_CASE(options) {
  auto o = daemon::parse_options({"--tunnel", "/etc/wireguard/wg0.conf", "--control=/tmp/t.sock", "--state", "/tmp/s",
                                  "--log-level", "debug", "--key-log", "/tmp/k.log"});
  BOOST_TEST_REQUIRE(o.ok());
  BOOST_TEST(o->tunnel_file == "/etc/wireguard/wg0.conf");
  BOOST_TEST(o->control_path == "/tmp/t.sock");
  BOOST_TEST(o->state_dir == "/tmp/s");
  BOOST_TEST((o->log_level == LogLevel::debug));
  BOOST_TEST(*o->key_log == "/tmp/k.log");
  BOOST_TEST(!o->check_only);
  auto defaults = daemon::parse_options({"-n", "--tunnel", "wg0.conf"});
  BOOST_TEST_REQUIRE(defaults.ok());
  BOOST_TEST(defaults->check_only);
  BOOST_TEST(defaults->control_path == "/run/tether/tetherd.sock");
  BOOST_TEST(!daemon::parse_options({"--log-level", "loud", "--tunnel", "x.conf"}).ok());
  BOOST_TEST(!daemon::parse_options({}).ok());  // --tunnel is required

  BOOST_TEST(*node::interface_name_from_path("/etc/wireguard/wg0.conf") == "wg0");
  BOOST_TEST(*node::interface_name_from_path("a_b=c+d.e-f.conf") == "a_b=c+d.e-f");
  BOOST_TEST(*node::interface_name_from_path("123456789012345.conf") == "123456789012345");
  BOOST_TEST(!node::interface_name_from_path("1234567890123456.conf"));
  BOOST_TEST(!node::interface_name_from_path("wg 0.conf"));
  BOOST_TEST(!node::interface_name_from_path("wg0.cfg"));
  BOOST_TEST(!node::interface_name_from_path(".conf"));
}

BOOST_AUTO_TEST_SUITE_END()
