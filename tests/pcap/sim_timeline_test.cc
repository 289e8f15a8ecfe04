// The whole timeline path on the simulation's own captures: a run's relay
// link, read with that relay's WireGuard key log, gives the tunnel's
// messages on the wire and, decrypted, the SMTP transactions inside it,
// one per message the relay handed down the tunnel (messages.csv). And
// the tether-pcap command prints the same table as CSV and as JSON.

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

#include "pcap/frames.h"
#include "pcap/timeline.h"
#include "pcap/timeline_format.h"
#include "support/preconditions.h"
#include "support/run_process.h"

namespace tether::pcap {
namespace {

using tether::testing::read_file;
using tether::testing::run_process;
using tether::testing::TestDirectory;

std::size_t count(const Timeline& t, const std::string& layer, const std::string& protocol, const std::string& kind) {
  return std::size_t(std::count_if(t.events.begin(), t.events.end(), [&](const TimelineEvent& e) {
    return e.layer == layer && e.protocol == protocol && e.kind == kind;
  }));
}

// nat-expiry for 30 simulated minutes, 4 messages, keepalive 25 s.
void simulate(const TestDirectory& dir) {
  auto run = run_process({TETHER_SIM_BINARY, std::string(TETHER_SOURCE_DIR) + "/scenarios/nat-expiry.yaml", "--pcap",
                          "--out", dir.path().string(), "--set", "duration=30m", "--set", "workload.count=4", "--set",
                          "workload.start=2m", "--set", "workload.interval=5m", "--set",
                          "hosts.carinho.persistent_keepalive=25"},
                         "", Duration::seconds(300));
  BOOST_TEST_REQUIRE(run.exit_code == 0, run.describe());
}

BOOST_AUTO_TEST_SUITE(sim_timeline)

BOOST_AUTO_TEST_CASE(the_relay_link_decrypted_shows_each_relayed_message) {
  TestDirectory dir("tether-pcap-timeline");
  simulate(dir);
  TimelineOptions options;
  auto keys = WireGuardKeyLog::read_file((dir / "pcap" / "namorar-wg-keys.log").string());
  BOOST_TEST_REQUIRE(keys.ok(), testing::why(keys));
  options.keys = std::make_shared<const WireGuardKeyLog>(std::move(*keys));
  auto timeline = build_timeline({(dir / "pcap" / "namorar-0.pcap").string()}, options);
  BOOST_TEST_REQUIRE(timeline.ok(), testing::why(timeline));
  for (const std::string& p : timeline->problems) BOOST_TEST_MESSAGE(p);
  BOOST_TEST(timeline->problems.empty());
  BOOST_TEST(std::is_sorted(timeline->events.begin(), timeline->events.end(),
                            [](const TimelineEvent& a, const TimelineEvent& b) { return a.at < b.at; }));

  // The relay hands each message down the tunnel to the home: one SMTP
  // transaction inside it per message relayed there.
  const std::string messages = read_file(dir / "messages.csv");
  const std::size_t delivered = std::size_t(std::count(messages.begin(), messages.end(), '\n')) - 1;
  BOOST_TEST(delivered == 4u);
  BOOST_TEST(count(*timeline, "wg", "smtp", "transaction") == delivered);
  BOOST_TEST(count(*timeline, "", "smtp", "transaction") == 0u);  // the internet side's SMTP is under STARTTLS
  BOOST_TEST(count(*timeline, "", "wg", "initiation") >= 1u);
  BOOST_TEST(count(*timeline, "", "wg", "keepalive") >= 30u);
  BOOST_TEST(timeline->counts.wg_decryption_failed == 0u);
  BOOST_TEST(timeline->counts.inner_packets > 0u);
  for (const TimelineEvent& e : timeline->events) {
    if (e.layer != "wg" || e.kind != "transaction") continue;
    BOOST_TEST(e.smtp_code.value_or(0) == 250);
    BOOST_TEST((e.source == "10.8.0.2:25" || e.destination == "10.8.0.2:25"), e.source << " -> " << e.destination);
  }
}

BOOST_AUTO_TEST_CASE(the_command_prints_the_table_as_csv_and_json) {
  TestDirectory dir("tether-pcap-command");
  simulate(dir);
  const std::string pcap = (dir / "pcap" / "namorar-0.pcap").string();
  const std::string keylog = (dir / "pcap" / "namorar-wg-keys.log").string();
  auto built = build_timeline({pcap}, TimelineOptions{});
  BOOST_TEST_REQUIRE(built.ok(), testing::why(built));

  auto csv = run_process({TETHER_PCAP_BINARY, "timeline", pcap});
  BOOST_TEST_REQUIRE(csv.exit_code == 0, csv.describe());
  BOOST_TEST(csv.out == timeline_text(built->events, TimelineFormat::csv));
  BOOST_TEST(csv.out.rfind("time_s,source,kind,detail,", 0) == 0u);

  auto json = run_process({TETHER_PCAP_BINARY, "timeline", pcap, "--keylog", keylog, "--format", "json"});
  BOOST_TEST_REQUIRE(json.exit_code == 0, json.describe());
  const auto rows = nlohmann::json::parse(json.out);
  BOOST_TEST_REQUIRE(rows.is_array());
  BOOST_TEST(rows.size() > built->events.size());  // the decrypted inner packets' rows too
  std::size_t inner = 0;
  for (const auto& row : rows) {
    BOOST_TEST_REQUIRE(row.size() == kTimelineColumns.size());
    if (row["layer"] == "wg") ++inner;
  }
  BOOST_TEST(inner == rows.size() - built->events.size());

  // Bad input: the message names the file; exit status 2.
  auto missing = run_process({TETHER_PCAP_BINARY, "timeline", (dir / "nothing.pcap").string()});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("nothing.pcap") != std::string::npos, missing.err);
  auto bad_keylog = run_process({TETHER_PCAP_BINARY, "timeline", pcap, "--keylog", (dir / "no.log").string()});
  BOOST_TEST(bad_keylog.exit_code == 2);
  BOOST_TEST(bad_keylog.err.find("no.log") != std::string::npos, bad_keylog.err);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
