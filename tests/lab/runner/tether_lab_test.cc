// tether-lab end to end (lab/runner/): a short nat-expiry run in the lab
// (every message delivered, timed from the sender's first attempt along
// its path, the relays' totals and the tunnel's handshakes read back from
// tetherd's logs, the simulation's keys in results.json), SIGINT midway, a scenario the lab
// cannot realise, a run without root. Root; the simulation's figures for
// the same scenario and seed are printed beside the lab's, not compared.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "lab/world/world_scenarios.h"
#include "messages_csv.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

namespace fs = std::filesystem;
using tether::lab::testing::message_rows;
using tether::lab::testing::shipped_scenario;
using tether::lab::testing::traces_of;
using tether::testing::read_file;
using tether::testing::run_process;
using tether::testing::TestDirectory;

namespace {

// nat-expiry cut to 40 s: keepalive 4 s through a 30 s UDP timeout, three
// messages 5 s apart, the home's own poll out of the way.
std::vector<std::string> short_nat_expiry(const fs::path& out) {
  return {shipped_scenario("nat-expiry").string(), "--out", out.string(),
          "--set", "nat.inbound_refresh=true", "--set", "duration=40s",
          "--set", "workload.count=3", "--set", "workload.start=5s", "--set", "workload.interval=5s",
          "--set", "home_activity.start=1h", "--set", "hosts.carinho.persistent_keepalive=4"};
}

std::vector<std::string> with_program(const std::string& program, std::vector<std::string> args) {
  args.insert(args.begin(), program);
  return args;
}

std::set<std::string> json_keys(const std::string& text) {
  std::set<std::string> keys;
  const std::regex key("\"([A-Za-z0-9_]+)\"\\s*:");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), key); it != std::sregex_iterator(); ++it)
    keys.insert((*it)[1]);
  return keys;
}

std::string netns_list() { return run_process({"ip", "netns", "list"}).out; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tether_lab, *boost::unit_test::label("root") *
                                      boost::unit_test::precondition(tether::testing::needs_root))

BOOST_AUTO_TEST_CASE(a_short_nat_expiry_run_delivers_every_message_and_writes_the_simulations_files) {
  TestDirectory dir("tether-lab-run");
  // 40 s of scenario plus the world's making and removal; SIGTERM would clean up, SIGKILL not.
  auto lab_args = short_nat_expiry(dir / "lab");
  lab_args.push_back("--pcap");
  const auto lab = run_process(with_program(TETHER_LAB, lab_args), "", tether::Duration::seconds(120));
  BOOST_TEST_REQUIRE(lab.exit_code == 0, lab.describe());
  const std::string messages = read_file(dir / "lab" / "messages.csv");
  const auto rows = message_rows(dir / "lab");
  BOOST_TEST(rows.size() == 3u, messages);
  for (const auto& row : rows) {
    // The relays' own events, read back from tetherd's log, as the simulation has them.
    BOOST_TEST(row.at("status") == "delivered", messages);
    BOOST_TEST(row.at("path") == "mail.websteading.net>mail.example.org>carinho.lan", messages);
    BOOST_TEST(row.at("via_backup") == "0");
    BOOST_TEST_REQUIRE(!row.at("first_attempt_s").empty(), messages);
    const double submitted = std::stod(row.at("submitted_s")), first = std::stod(row.at("first_attempt_s")),
                 delivered = std::stod(row.at("delivered_s")), latency = std::stod(row.at("latency_s"));
    BOOST_TEST(first >= submitted, messages);
    BOOST_TEST(first < delivered, messages);
    BOOST_TEST(latency > 0.0);
    // From the sender's first attempt (scenario::message_latency), not the submission: ms rounding apart.
    BOOST_TEST(std::abs(latency - (delivered - first)) < 0.0015, messages);
  }
  const auto results = nlohmann::json::parse(read_file(dir / "lab" / "results.json"));
  BOOST_TEST_REQUIRE(results.at("relays").size() == 3u, results.dump());
  for (const auto& relay : results.at("relays")) {
    const std::uint64_t accepted = relay.at("accepted"), attempts = relay.at("attempts"),
                        delivered = relay.at("delivered");
    BOOST_TEST(accepted == 3u, relay.dump());
    BOOST_TEST(attempts >= delivered, relay.dump());
    BOOST_TEST(accepted >= delivered, relay.dump());
    BOOST_TEST(delivered > 0u, relay.dump());
    BOOST_TEST(relay.at("permanent_failures").get<std::uint64_t>() == 0u, relay.dump());
  }
  const std::string events = read_file(dir / "lab" / "events.csv");
  BOOST_TEST(events.find(",carinho,handshake-completed,") != std::string::npos, events);
  BOOST_TEST(events.find(",namorar,handshake-completed,") != std::string::npos, events);
  BOOST_TEST(events.find(",gateway,nat-mapping-created,") != std::string::npos, events);
  for (const char* row : {",sender,accepted,", ",sender,attempt,", ",sender,relayed,", ",namorar,relayed,",
                          ",carinho,delivered-maildir,", ",world,route-up,carinho "})
    BOOST_TEST(events.find(row) != std::string::npos, row << " not in\n" << events);
  BOOST_TEST(fs::exists(dir / "lab" / "lab.json"));
  // --pcap: the simulation's file names, read by tether-pcap with the key logs.
  for (const char* file : {"lan-0.pcap", "lan-1.pcap", "uplink-0.pcap", "namorar-1.pcap", "carinho-wg-keys.log"})
    BOOST_TEST(fs::exists(dir / "lab" / "pcap" / file), file);
  const auto timeline = run_process({TETHER_PCAP, "timeline", (dir / "lab").string()}, "", tether::Duration::seconds(60));
  BOOST_TEST(timeline.exit_code == 0, timeline.describe());
  BOOST_TEST(timeline.out.find(",initiation,") != std::string::npos);
  BOOST_TEST(timeline.out.find(",greeting,220 carinho.lan") != std::string::npos);  // decrypted: the key log is read

  // The simulation, same scenario and seed: its keys are the lab's; its
  // figures are printed beside the lab's (tether-compare will compare them).
  const auto sim = run_process(with_program(TETHER_SIM, short_nat_expiry(dir / "sim")), "", tether::Duration::seconds(120));
  BOOST_TEST_REQUIRE(sim.exit_code == 0, sim.describe());
  const auto lab_keys = json_keys(read_file(dir / "lab" / "results.json"));
  for (const auto& key : json_keys(read_file(dir / "sim" / "results.json")))
    BOOST_TEST(lab_keys.count(key) == 1u, "results.json lacks the simulation's key " << key);
  BOOST_TEST_MESSAGE("lab:\n" << lab.out << "simulation:\n" << sim.out);
  BOOST_TEST_MESSAGE("lab events.csv:\n" << events << "simulation events.csv:\n"
                                         << read_file(dir / "sim" / "events.csv"));
}

BOOST_AUTO_TEST_CASE(sigint_midway_leaves_nothing_behind) {
  TestDirectory dir("tether-lab-sigint");
  const fs::path err = dir / "stderr";
  const auto argv = with_program(TETHER_LAB, short_nat_expiry(dir / "out"));
  const pid_t pid = fork();
  BOOST_TEST_REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  // Wait for the world, then give the daemons and the workload time to start.
  std::string prefix;
  for (int i = 0; i < 300 && prefix.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::smatch m;
    const std::string text = read_file(err);
    if (std::regex_search(text, m, std::regex("world (\\S+) built"))) prefix = m[1];
  }
  BOOST_TEST_REQUIRE(!prefix.empty(), read_file(err));
  std::this_thread::sleep_for(std::chrono::seconds(8));
  BOOST_TEST(traces_of(prefix).size() > 0u);  // standing, with its daemons
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  BOOST_TEST((WIFSIGNALED(status) && WTERMSIG(status) == SIGINT), "status " << status << ": " << read_file(err));
  const auto left = traces_of(prefix);
  BOOST_TEST(left.empty(), left.size() << " left, the first: " << (left.empty() ? "" : left.front()));
}

BOOST_AUTO_TEST_CASE(a_nat_linux_cannot_realise_is_refused_naming_the_field_and_leaves_nothing) {
  TestDirectory dir("tether-lab-refused");
  const std::string before = netns_list();
  auto args = short_nat_expiry(dir / "out");
  args.push_back("--set");
  args.push_back("nat.inbound_refresh=false");
  const auto r = run_process(with_program(TETHER_LAB, args));
  BOOST_TEST(r.exit_code == 2, r.describe());
  BOOST_TEST(r.err.find("inbound_refresh") != std::string::npos, r.err);
  BOOST_TEST(netns_list() == before);
}

BOOST_AUTO_TEST_CASE(a_longer_scenario_than_max_duration_is_refused_naming_duration) {
  TestDirectory dir("tether-lab-long");
  const auto r = run_process({TETHER_LAB, shipped_scenario("nat-expiry").string(), "--out", (dir / "out").string(),
                              "--set", "nat.inbound_refresh=true"});
  BOOST_TEST(r.exit_code == 2, r.describe());
  BOOST_TEST(r.err.find("duration") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(without_root_it_says_so_and_exits_2) {
  const auto r = run_process({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", TETHER_LAB,
                              shipped_scenario("nat-expiry").string()});
  BOOST_TEST(r.exit_code == 2, r.describe());
  BOOST_TEST(r.err.find("needs root") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
