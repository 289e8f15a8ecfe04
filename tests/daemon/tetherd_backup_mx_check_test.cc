// `tetherd -n` warns when a `relay backup` action's own name is not among
// the MX hosts of a domain its rules route to it (issue 14, hole 12), as
// the DNS in a namespace the test makes answers: dnsmasq on its loopback
// with example.org's MX list, and the namespace's own resolv.conf.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>

#include "support/child_process.h"
#include "support/preconditions.h"
#include "support/root_precondition.h"
#include "support/run_process.h"
#include "seed_config_copy.h"

using namespace tether;
using namespace tether::testing;

namespace {

const std::string kTetherd = TETHERD_PATH;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

boost::test_tools::assertion_result needs_root_and_dnsmasq(boost::unit_test::test_unit_id id) {
  if (!needs_root(id)) return needs_root(id);
  return skip_unless(std::filesystem::exists("/usr/sbin/dnsmasq"), "needs dnsmasq (dnsmasq-base) to serve MX records");
}

// /etc/netns/NAME/resolv.conf, which `ip netns exec NAME` puts in place of
// the machine's, for as long as the test runs.
class NamespaceResolvConf {
 public:
  NamespaceResolvConf(const std::string& ns, const std::string& text) : dir_("/etc/netns/" + ns) {
    std::filesystem::create_directories(dir_);
    write_file(dir_ / "resolv.conf", text, 0644);
  }
  ~NamespaceResolvConf() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tetherd_backup_mx_check)

BOOST_AUTO_TEST_CASE(a_backup_name_missing_from_the_mx_list_is_a_warning,
                     *boost::unit_test::precondition(needs_root_and_dnsmasq) * boost::unit_test::label("root")) {
  TestDirectory dir("tetherd-backup-check");
  NamedNamespace ns("tthd-bkcheck");
  BOOST_TEST_REQUIRE(ns.created());
  BOOST_TEST_REQUIRE(run_process({"ip", "-n", ns.name(), "link", "set", "lo", "up"}).exit_code == 0);
  NamespaceResolvConf resolv(ns.name(), "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n");
  auto dns = ChildProcess::spawn({"ip", "netns", "exec", ns.name(), "/usr/sbin/dnsmasq", "--keep-in-foreground",
                                  "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
                                  "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root", "--pid-file",
                                  "--log-facility=-", "--log-queries",
                                  "--mx-host=example.org,mail.example.org,10",
                                  "--mx-host=example.org,mx2.example.org,20",
                                  "--mx-host=example.net,mx2.example.org,20"});
  BOOST_TEST_REQUIRE(dns.ok(), (dns.ok() ? "" : dns.error().to_string()));
  BOOST_TEST_REQUIRE((*dns)->wait_for_output("started", Duration::seconds(10)), (*dns)->output());

  const std::string conf = (dir / "smtpd.conf").string();
  write_file(conf,
             "listen on 127.0.0.1\n"                                                   // 1
             "action \"vm\" relay backup mx vm.example.test\n"                         // 2
             "action \"named\" relay backup mx mx2.example.org\n"                      // 3
             "match from any for domain \"example.org\" action \"vm\"\n"               // 4
             "match from any for domain \"example.net\" action \"named\"\n");          // 5
  ProcessResult r = run_process({"ip", "netns", "exec", ns.name(), kTetherd, "-n", "--relay", conf});
  BOOST_TEST(r.exit_code == 0, r.describe() << (*dns)->output());  // a warning, not an error
  BOOST_TEST(r.out == "configuration OK\n", r.describe());
  BOOST_TEST(has(r.err, conf + ":4: warning: action \"vm\": backup MX: this host's name vm.example.test is not among "
                               "example.org's MX hosts (mail.example.org, mx2.example.org)"),
             r.describe() << (*dns)->output());
  BOOST_TEST(!has(r.err, "\"named\""), r.describe());  // its name is listed
}

// The seed's mx2 (backup-relay-mx.txt), its pki made: with no DNS server
// in the namespace, -n says it could not look example.org up, and the
// config is still OK.
BOOST_AUTO_TEST_CASE(the_mx2_seed_passes_with_a_warning_when_the_dns_cannot_answer,
                     *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  TestDirectory dir("tetherd-backup-seed");
  NamedNamespace ns("tthd-bkseed");
  BOOST_TEST_REQUIRE(ns.created());
  BOOST_TEST_REQUIRE(run_process({"ip", "-n", ns.name(), "link", "set", "lo", "up"}).exit_code == 0);
  NamespaceResolvConf resolv(ns.name(), "nameserver 127.0.0.1\n");  // nothing listens there
  const std::string root = copy_seed_with_pki(std::string(SEED_CONFIG_DIR) + "/mx2", dir / "mx2").string();
  ProcessResult r = run_process(
      {"ip", "netns", "exec", ns.name(), kTetherd, "-n", "--relay", root + "/smtpd.conf", "--config-root", root});
  BOOST_TEST(r.exit_code == 0, r.describe());
  BOOST_TEST(r.out == "configuration OK\n", r.describe());
  BOOST_TEST(has(r.err, "warning: action \"local_mail\": relay backup: cannot look up example.org's MX hosts"),
             r.describe());
}

BOOST_AUTO_TEST_SUITE_END()
