// tether-lab on backup-mx-fallback-opensmtpd (root): the sender and mx2 run
// Debian's OpenSMTPD 6.8, cut to 45 s (namorar off from 20 s to the end).
// The message before the outage is delivered through the real OpenSMTPD
// sender, whose accepted and relayed rows are in events.csv; the one during
// it is neither delivered nor bounced; lab.json names what ran each host.
// The simulation's figures for the same cut are printed beside the lab's.
#include <boost/test/unit_test.hpp>

#include <sstream>

#include "lab/world/world_scenarios.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

namespace fs = std::filesystem;
using tether::lab::testing::shipped_scenario;
using tether::lab::testing::traces_of;
using tether::testing::read_file;
using tether::testing::run_process;
using tether::testing::TestDirectory;

namespace {

std::vector<std::string> cut(const std::string& program, const fs::path& out) {
  return {program, shipped_scenario("lab/backup-mx-fallback-opensmtpd").string(), "--out", out.string(),
          "--set", "duration=45s", "--set", "events.1.at=44s"};
}

// messages.csv's status column (the seventh) of each row.
std::vector<std::string> statuses(const std::string& csv) {
  std::vector<std::string> out;
  std::istringstream rows(csv);
  std::string line;
  std::getline(rows, line);
  while (std::getline(rows, line)) {
    std::istringstream cells(line);
    std::string cell;
    for (int i = 0; i < 7; ++i) std::getline(cells, cell, ',');
    out.push_back(cell);
  }
  return out;
}

boost::test_tools::assertion_result needs_opensmtpd(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(tether::testing::program_exists("smtpd"));
  r.message() << "SKIPPED: needs smtpd (package opensmtpd)";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tether_lab_opensmtpd, *boost::unit_test::label("root") *
                                                boost::unit_test::precondition(tether::testing::needs_root) *
                                                boost::unit_test::precondition(needs_opensmtpd))

BOOST_AUTO_TEST_CASE(the_opensmtpd_sender_delivers_before_the_outage_and_holds_mail_during_it) {
  TestDirectory dir("tether-lab-osmtpd");
  const auto lab = run_process(cut(TETHER_LAB, dir / "lab"), "", tether::Duration::seconds(150));
  BOOST_TEST_REQUIRE(lab.exit_code == 0, lab.describe());
  BOOST_TEST((statuses(read_file(dir / "lab" / "messages.csv")) == std::vector<std::string>{"delivered", "undelivered"}),
             read_file(dir / "lab" / "messages.csv"));
  const std::string events = read_file(dir / "lab" / "events.csv");
  BOOST_TEST(events.find(",sender,accepted,") != std::string::npos, events);
  BOOST_TEST(events.find(",sender,relayed,") != std::string::npos, events);
  BOOST_TEST(events.find("permanent-failure") == std::string::npos, events);
  const std::string hosts = read_file(dir / "lab" / "lab.json");
  BOOST_TEST(hosts.find("\"sender\": \"Debian's OpenSMTPD 6.8 (smtpd)\"") != std::string::npos, hosts);
  BOOST_TEST(hosts.find("\"mx2\": \"Debian's OpenSMTPD 6.8 (smtpd)\"") != std::string::npos, hosts);
  BOOST_TEST(hosts.find("\"namorar\": \"tetherd") != std::string::npos, hosts);

  const auto sim = run_process(cut(TETHER_SIM, dir / "sim"));
  BOOST_TEST_REQUIRE(sim.exit_code == 0, sim.describe());
  BOOST_TEST_MESSAGE("lab:\n" << lab.out << "\nsimulation:\n" << sim.out);
  // Nothing of the world (its prefix is on stderr: "world PREFIX built") is left.
  std::istringstream err(lab.err.substr(std::min(lab.err.size(), lab.err.find("world ") + 6)));
  std::string prefix;
  err >> prefix;
  BOOST_TEST_REQUIRE(!prefix.empty(), lab.err);
  BOOST_TEST(traces_of(prefix).empty());
}

BOOST_AUTO_TEST_SUITE_END()
