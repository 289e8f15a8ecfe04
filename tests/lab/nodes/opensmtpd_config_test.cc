// The smtpd.conf the lab gives Debian's OpenSMTPD 6.8 (lab/nodes/
// opensmtpd_config.h), no root: line for line the scenario's file, with
// `listen on egress` on the namespace's interfaces and absolute paths below
// the config root; STARTTLS listeners and smtpd -n's complaints refused by
// the scenario file's own line.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>

#include "lab/nodes/opensmtpd_config.h"
#include "support/run_process.h"

namespace tether::lab {
namespace {

namespace fs = std::filesystem;

std::size_t lines_of(const std::string& text) { return std::size_t(std::count(text.begin(), text.end(), '\n')); }

BOOST_AUTO_TEST_SUITE(lab_opensmtpd_config)

BOOST_AUTO_TEST_CASE(egress_names_the_interfaces_and_keeps_every_line_number) {
  const std::string conf =
      "# a comment\n"
      "table domains { example.org }\n"
      "listen on egress hostname mx2.example.org filter incoming\n"
      "action \"out\" relay backup\n";
  const std::string copy = opensmtpd_conf_text(conf, "", {"mx2-0", "sub-1"});
  std::istringstream lines(copy);
  std::vector<std::string> l;
  for (std::string s; std::getline(lines, s);) l.push_back(s);
  BOOST_TEST_REQUIRE(l.size() >= 4u);
  BOOST_TEST(l[2] == "listen on mx2-0 hostname mx2.example.org filter incoming");
  BOOST_TEST(l[3] == "action \"out\" relay backup");
  // The other interface after the file's own last line.
  BOOST_TEST(copy.find("\nlisten on sub-1 hostname mx2.example.org filter incoming\n") != std::string::npos, copy);
  BOOST_TEST(lines_of(opensmtpd_conf_text(conf, "", {"mx2-0"})) == lines_of(conf));
}

BOOST_AUTO_TEST_CASE(absolute_paths_point_below_the_config_root_when_the_file_is_there) {
  const fs::path root = fs::path(TETHER_SOURCE_DIR) / "scenarios/backup-mx-fallback/carinho";
  const std::string copy = opensmtpd_conf_text(
      "table aliases file:/etc/mail/aliases\ntable other file:/etc/mail/none\nmaildir \"/var/mail\"\n", root, {});
  BOOST_TEST(copy.find("table aliases file:" + (root / "etc/mail/aliases").string() + "\n") != std::string::npos, copy);
  BOOST_TEST(copy.find("table other file:/etc/mail/none\n") != std::string::npos, copy);
  BOOST_TEST(copy.find("maildir \"/var/mail\"\n") != std::string::npos, copy);
}

BOOST_AUTO_TEST_CASE(a_starttls_listener_is_refused_by_its_line) {
  const auto refused = opensmtpd_tls_refusals(
      "pki x cert \"/etc/ssl/x.crt\"\n\nlisten on egress tls pki x hostname x\nlisten on lo\n", "/s/mx2/smtpd.conf",
      "hosts.mx2.smtpd");
  BOOST_TEST_REQUIRE(refused.size() == 1u);
  BOOST_TEST(refused[0].rfind("/s/mx2/smtpd.conf:3: hosts.mx2.smtpd: `tls`: Debian's OpenSMTPD 6.8 cannot serve TLS", 0) == 0,
             refused[0]);
}

BOOST_AUTO_TEST_CASE(smtpd_n_complaints_name_the_scenario_file) {
  const auto refused = opensmtpd_parser_refusals(
      "/run/x/smtpd.conf:15: syntax error\nsmtpd: invalid virtual ip or interface: egress\nwarn: no rules\n",
      "/run/x/smtpd.conf", "/s/mx2/smtpd.conf", "hosts.mx2.smtpd");
  BOOST_TEST_REQUIRE(refused.size() == 2u);
  BOOST_TEST(refused[0] == "/s/mx2/smtpd.conf:15: hosts.mx2.smtpd: syntax error (OpenSMTPD 6.8's parser)");
  BOOST_TEST(refused[1].find("invalid virtual ip or interface: egress") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_seeds_mx2_file_is_refused_by_the_real_parser_when_smtpd_is_there) {
  if (!tether::testing::program_exists("smtpd")) {
    BOOST_TEST_MESSAGE("SKIPPED: needs smtpd (package opensmtpd)");
    return;
  }
  const fs::path original = fs::path(TETHER_SOURCE_DIR) / "scenarios/backup-mx-fallback/mx2/etc/mail/smtpd.conf";
  tether::testing::TestDirectory dir("tether-osmtpd-conf");
  auto written = write_opensmtpd_conf(original, "hosts.mx2.smtpd", dir.path(), {"lo"}, "",
                                      [](const std::vector<std::string>& argv) { return run_command(argv); });
  BOOST_TEST_REQUIRE(!written.ok());
  const std::string& why = written.error().message;
  // `queue retry opensmtpd` (tether's) and the STARTTLS listener.
  BOOST_TEST(why.find(original.string() + ":15: hosts.mx2.smtpd: syntax error") != std::string::npos, why);
  BOOST_TEST(why.find(original.string() + ":17: hosts.mx2.smtpd: `tls`") != std::string::npos, why);
  // The lab's own file for 6.8 passes.
  auto own = write_opensmtpd_conf(original.parent_path() / "smtpd-opensmtpd.conf", "hosts.mx2.smtpd", dir.path(),
                                  {"lo"}, "", [](const std::vector<std::string>& argv) { return run_command(argv); });
  BOOST_TEST(own.ok(), (own.ok() ? "" : own.error().to_string()));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
