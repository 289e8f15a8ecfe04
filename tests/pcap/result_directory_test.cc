// A result directory's links and key logs (pcap/result_directory.h), and
// several key logs read into one (WireGuardKeyLog::read_files). The files
// here are named as tether-sim names them; the reading of real runs is in
// pcap_sim_compare_test.

#include "pcap/result_directory.h"

#include <boost/test/unit_test.hpp>

#include "pcap/key_log_reader.h"
#include "support/run_process.h"

namespace tether::pcap {
namespace {

using tether::testing::TestDirectory;
using tether::testing::write_file;

// Test keys of the shipped scenarios' configs (scenarios/backup-mx-fallback).
constexpr const char* kPrivate = "oGU9kEDusOdUoSDiNNxkYdvNR6WMUa1Tu9Z7m8y5okk=";
constexpr const char* kOtherPrivate = "aIcciWt9VQ3vEqHBrXOIE4oMhTU5YSguYn0eD6Dwyng=";

void make_run(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "pcap");
  write_file(dir / "results.json", "{}\n");
  write_file(dir / "events.csv", "time_s,source,kind,detail\n");
  for (const char* f : {"lan-0.pcap", "lan-1.pcap", "namorar-0.pcap", "namorar-1.pcap", "uplink-0.pcap"})
    write_file(dir / "pcap" / f, "");
  write_file(dir / "pcap" / "carinho-wg-keys.log", "");
  write_file(dir / "pcap" / "namorar-wg-keys.log", "");
}

std::string message_of(const Result<ResultDirectory>& r) {
  return r.ok() ? std::string("(opened)") : r.error().message;
}

BOOST_AUTO_TEST_SUITE(result_directory)

BOOST_AUTO_TEST_CASE(links_are_chosen_by_glob_and_lan_0_by_default) {
  TestDirectory dir("tether-result-dir");
  make_run(dir / "run");
  const std::string run = (dir / "run").string(), pcap = (dir / "run" / "pcap").string();
  auto d = open_result_directory(run, {});
  BOOST_TEST_REQUIRE(d.ok(), message_of(d));
  BOOST_TEST(d->capture_dir == pcap);
  BOOST_TEST(d->links == (std::vector<std::string>{"lan-0", "lan-1", "namorar-0", "namorar-1", "uplink-0"}),
             boost::test_tools::per_element());
  BOOST_TEST(d->captures == std::vector<std::string>{pcap + "/lan-0.pcap"}, boost::test_tools::per_element());
  BOOST_TEST(
      d->key_logs == (std::vector<std::string>{pcap + "/carinho-wg-keys.log", pcap + "/namorar-wg-keys.log"}),
      boost::test_tools::per_element());
  d = open_result_directory(run, {"*-0", "namorar-1.pcap"});
  BOOST_TEST_REQUIRE(d.ok(), message_of(d));
  BOOST_TEST(d->captures == (std::vector<std::string>{pcap + "/lan-0.pcap", pcap + "/namorar-0.pcap",
                                                      pcap + "/namorar-1.pcap", pcap + "/uplink-0.pcap"}),
             boost::test_tools::per_element());
  // The pcap folder itself is a result directory too.
  d = open_result_directory(pcap, {"uplink-*"});
  BOOST_TEST_REQUIRE(d.ok(), message_of(d));
  BOOST_TEST(d->captures == std::vector<std::string>{pcap + "/uplink-0.pcap"},
             boost::test_tools::per_element());
  d = open_result_directory(run, {"lte-*"});
  BOOST_TEST(
      message_of(d) ==
      run + ": no link matches --link lte-*; its links are lan-0, lan-1, namorar-0, namorar-1, uplink-0");
}

BOOST_AUTO_TEST_CASE(a_directory_without_captures_is_refused_saying_why) {
  TestDirectory dir("tether-result-dir");
  std::filesystem::create_directories(dir / "empty");
  std::filesystem::create_directories(dir / "no-pcap");
  write_file(dir / "no-pcap" / "results.json", "{}\n");
  write_file(dir / "no-pcap" / "events.csv", "time_s,source,kind,detail\n");
  const std::string empty = (dir / "empty").string(), no_pcap = (dir / "no-pcap").string();
  BOOST_TEST(message_of(open_result_directory(empty, {})) ==
             empty + ": no captures: neither " + empty +
                 "/pcap/ nor the directory itself holds .pcap or .pcapng files");
  BOOST_TEST(
      message_of(open_result_directory(no_pcap, {})) ==
      no_pcap +
          ": a result directory without captures (no pcap/ in it): run the scenario again with --pcap; "
          "its events.csv alone is not read as a timeline");
  BOOST_TEST(message_of(open_result_directory((dir / "nowhere").string(), {})) ==
             (dir / "nowhere").string() + ": not a directory");
}

BOOST_AUTO_TEST_CASE(several_key_logs_read_into_one_pool) {
  TestDirectory dir("tether-key-logs");
  write_file(dir / "carinho-wg-keys.log", std::string("LOCAL_STATIC_PRIVATE_KEY = ") + kPrivate +
                                              "\nLOCAL_EPHEMERAL_PRIVATE_KEY = " + kOtherPrivate + "\n");
  // A PSK line pairs with an ephemeral key of its own file only.
  write_file(dir / "namorar-wg-keys.log", std::string("PRESHARED_KEY = ") + kPrivate +
                                              "\nLOCAL_STATIC_PRIVATE_KEY = " + kOtherPrivate + "\nbroken\n");
  auto keys = WireGuardKeyLog::read_files(
      {(dir / "carinho-wg-keys.log").string(), (dir / "namorar-wg-keys.log").string()});
  BOOST_TEST_REQUIRE(keys.ok());
  BOOST_TEST(keys->static_keys().size() == 2u);
  BOOST_TEST(keys->ephemeral_count() == 1u);
  const std::string namorar = (dir / "namorar-wg-keys.log").string();
  BOOST_TEST(
      keys->problems() == (std::vector<std::string>{
                              namorar + ":1: PRESHARED_KEY with no LOCAL_EPHEMERAL_PRIVATE_KEY before it",
                              namorar + ":3: expected 'TYPE = base64 key', got 'broken'"}),
      boost::test_tools::per_element());
  auto missing =
      WireGuardKeyLog::read_files({(dir / "carinho-wg-keys.log").string(), (dir / "gone.log").string()});
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().message == (dir / "gone.log").string() + ": cannot open the key log");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
