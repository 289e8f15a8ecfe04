// pcap::infer and `tether-pcap infer` on the simulation's own captures,
// whose settings the scenario states: nat-expiry (home behind a NAT that
// forgets UDP mappings after 30 s; PersistentKeepalive 25 s, or off), read
// on the relay's link and on the home's LAN. The simulated hosts run
// impl/tunnel's timers on Linux-like clocks (4 ms jiffies, clock drift), so
// the figures are a real implementation's, not a replay of the settings.

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

#include "pcap/infer.h"
#include "pcap/infer_format.h"
#include "support/run_process.h"

namespace tether::pcap {
namespace {

using tether::testing::run_process;
using tether::testing::TestDirectory;

const std::string kScenario = std::string(TETHER_SOURCE_DIR) + "/scenarios/nat-expiry.yaml";
constexpr double kNatTimeout = 30;  // nat-expiry's nat.timeouts.udp

// nat-expiry for `duration` with home's keepalive set, its pcaps in `dir`.
void simulate(const TestDirectory& dir, int keepalive, const std::string& duration) {
  auto run = run_process({TETHER_SIM_BINARY, kScenario, "--pcap", "--out", dir.path().string(), "--set",
                          "duration=" + duration, "--set",
                          "hosts.carinho.persistent_keepalive=" + std::to_string(keepalive)});
  BOOST_TEST_REQUIRE(run.exit_code == 0, run.describe());
}

Inference infer_file(const std::string& path, const std::string& keylog = {}) {
  TimelineOptions options;
  if (!keylog.empty()) {
    auto keys = WireGuardKeyLog::read_file(keylog);
    BOOST_TEST_REQUIRE(keys.ok());
    options.keys = std::make_shared<const WireGuardKeyLog>(std::move(*keys));
  }
  auto timeline = build_timeline({path}, options);
  BOOST_TEST_REQUIRE(timeline.ok());
  BOOST_TEST(timeline->problems.empty());
  return infer(*timeline);
}

const KeepaliveFigure& keepalive_of(const Inference& inference, const std::string& address) {
  for (const KeepaliveFigure& k : inference.keepalives)
    if (k.side.rfind(address + ":", 0) == 0) return k;
  BOOST_FAIL("no keepalive figure for " + address);
  throw;
}

std::string home_public_address(const Inference& inference) {
  for (const KeepaliveFigure& k : inference.keepalives)
    if (k.side.rfind("198.51.100.", 0) == 0) return k.side.substr(0, k.side.rfind(':'));
  BOOST_FAIL("the home's NAT address is not in the capture");
  throw;
}

BOOST_AUTO_TEST_SUITE(infer_sim)

BOOST_AUTO_TEST_CASE(a_figure_is_the_median_with_nearest_rank_percentiles) {
  Figure f = figure_of({5, 1, 4, 2, 3, 10, 6, 7, 9, 8}, "unused");
  BOOST_TEST_REQUIRE(f.value.has_value());
  BOOST_TEST(*f.value == 5.5);
  BOOST_TEST(f.samples == 10u);
  BOOST_TEST(f.p10 == 1);
  BOOST_TEST(f.p90 == 9);
  BOOST_TEST(f.min == 1);
  BOOST_TEST(f.max == 10);
  Figure none = figure_of({}, "cannot tell: nothing");
  BOOST_TEST(!none.value.has_value());
  BOOST_TEST(none.note == "cannot tell: nothing");
}

BOOST_AUTO_TEST_CASE(keepalive_rekey_and_a_nat_that_never_expires, *boost::unit_test::timeout(120)) {
  TestDirectory dir("tether-infer-sim-25");
  simulate(dir, 25, "1h");
  for (const char* link : {"namorar-0.pcap", "lan-0.pcap"}) {
    BOOST_TEST_CONTEXT(link) {
      Inference inference = infer_file((dir / "pcap" / link).string());
      const std::string home = std::string(link) == "lan-0.pcap" ? "192.168.1.10" : home_public_address(inference);
      const KeepaliveFigure& k = keepalive_of(inference, home);
      BOOST_TEST_REQUIRE(k.interval.value.has_value(), k.interval.note);
      BOOST_TEST(std::fabs(*k.interval.value - 25) <= 0.05 * 25);
      BOOST_TEST(k.interval.samples >= 100u);  // an hour of them
      BOOST_TEST(k.passive > 0u);              // after each delivery, left out
      const KeepaliveFigure& relay = keepalive_of(inference, "203.0.113.10");
      BOOST_TEST(!relay.interval.value.has_value(), relay.interval.note);
      BOOST_TEST(relay.interval.note.find("cannot tell") == 0u);

      // Linux rekeys at the first packet sent 120 s after a handshake: with
      // a keepalive every 25 s, between 120 and 145 s.
      BOOST_TEST_REQUIRE(inference.handshakes.size() == 1u);
      const Figure& rekey = inference.handshakes[0].rekey;
      BOOST_TEST_REQUIRE(rekey.value.has_value(), rekey.note);
      BOOST_TEST(rekey.min >= 120);
      BOOST_TEST(rekey.max <= 146);

      BOOST_TEST_REQUIRE(inference.nat.size() == 1u);
      const NatBracket& nat = inference.nat[0];
      BOOST_TEST(nat.inside == home);
      BOOST_TEST_REQUIRE(nat.at_least.has_value(), nat.note);
      BOOST_TEST(*nat.at_least <= kNatTimeout);
      BOOST_TEST(!nat.below.has_value(), nat.below_evidence);  // a keepalive every 25 s keeps it
    }
  }
}

BOOST_AUTO_TEST_CASE(no_keepalive_retries_and_a_nat_that_expires, *boost::unit_test::timeout(120)) {
  TestDirectory dir("tether-infer-sim-0");
  simulate(dir, 0, "2h");
  Inference inference =
      infer_file((dir / "pcap" / "namorar-0.pcap").string(), (dir / "pcap" / "namorar-wg-keys.log").string());
  const std::string home = home_public_address(inference);
  const KeepaliveFigure& k = keepalive_of(inference, home);
  BOOST_TEST(!k.interval.value.has_value());
  BOOST_TEST(k.interval.note.find("cannot tell: no keepalive from " + home) == 0u, k.interval.note);

  // The relay cannot reach the home through the expired mapping: its
  // initiations are retried REKEY_TIMEOUT (5 s) plus up to 1/3 s apart.
  const RetryFigure* relay = nullptr;
  for (const RetryFigure& r : inference.retries)
    if (r.initiator == "203.0.113.10:51820") relay = &r;
  BOOST_TEST_REQUIRE(relay);
  BOOST_TEST_REQUIRE(relay->spacing.value.has_value());
  BOOST_TEST(relay->spacing.min >= 5.0);
  BOOST_TEST(relay->spacing.max <= 5.0 + 1.0 / 3 + 0.01);
  BOOST_TEST(relay->give_up.value.has_value(), relay->give_up.note);
  BOOST_TEST(relay->give_up.min >= 85);  // never before REKEY_ATTEMPT_TIME

  BOOST_TEST_REQUIRE(inference.nat.size() == 1u);
  const NatBracket& nat = inference.nat[0];
  BOOST_TEST_REQUIRE(nat.at_least.has_value(), nat.note);
  BOOST_TEST_REQUIRE(nat.below.has_value(), nat.note);
  BOOST_TEST(*nat.at_least <= kNatTimeout);
  BOOST_TEST(*nat.below >= kNatTimeout);

  // The relay's deliveries to the home travel inside the tunnel: with the
  // key log they are seen, some failing while the home is unreachable.
  const SmtpRetryFigure* tunnel = nullptr;
  for (const SmtpRetryFigure& s : inference.smtp)
    if (s.layer == "wg" && s.destination.rfind(":25") == s.destination.size() - 3) tunnel = &s;
  BOOST_TEST_REQUIRE(tunnel);
  BOOST_TEST(tunnel->delivered > 0u);
  BOOST_TEST(tunnel->failed > 0u);
  BOOST_TEST(tunnel->attempts >= tunnel->failed + tunnel->delivered);
}

BOOST_AUTO_TEST_CASE(the_command_prints_text_json_and_overrides, *boost::unit_test::timeout(120)) {
  TestDirectory dir("tether-infer-sim-command");
  simulate(dir, 25, "30m");
  const std::string pcap = (dir / "pcap" / "namorar-0.pcap").string();

  auto text = run_process({TETHER_PCAP_BINARY, "infer", pcap});
  BOOST_TEST_REQUIRE(text.exit_code == 0, text.describe());
  BOOST_TEST(text.out.find("Persistent keepalive") != std::string::npos);

  auto json = run_process({TETHER_PCAP_BINARY, "infer", pcap, "--format", "json"});
  BOOST_TEST_REQUIRE(json.exit_code == 0, json.describe());
  auto parsed = nlohmann::json::parse(json.out, nullptr, false);
  BOOST_TEST_REQUIRE(!parsed.is_discarded(), json.out);
  BOOST_TEST(parsed["keepalives"].size() == 2u);

  // Host names from the scenario: the home is behind the NAT, so its
  // figures come from the ISP pool's address.
  auto as_set = run_process({TETHER_PCAP_BINARY, "infer", pcap, "--as-set", "--scenario", kScenario});
  BOOST_TEST_REQUIRE(as_set.exit_code == 0, as_set.describe());
  BOOST_TEST(as_set.out.find("\n--set hosts.carinho.persistent_keepalive=25\n") != std::string::npos, as_set.out);
  BOOST_TEST(as_set.out.find("--set hosts.namorar") == std::string::npos, as_set.out);  // it cannot tell

  auto by_hand = run_process({TETHER_PCAP_BINARY, "infer", pcap, "--as-set", "--host", "203.0.113.10=relay"});
  BOOST_TEST_REQUIRE(by_hand.exit_code == 0, by_hand.describe());
  BOOST_TEST(by_hand.out.find("# hosts.relay.persistent_keepalive: cannot tell") != std::string::npos, by_hand.out);
  BOOST_TEST(by_hand.out.find("no host name (--host ADDRESS=NAME or --scenario)") != std::string::npos, by_hand.out);

  auto bad = run_process({TETHER_PCAP_BINARY, "infer", pcap, "--as-set", "--host", "203.0.113.10"});
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.err.find("--host 203.0.113.10: expected ADDRESS=NAME") != std::string::npos, bad.describe());
  auto empty = run_process({TETHER_PCAP_BINARY, "infer", (dir / "events.csv").string()});
  BOOST_TEST(empty.exit_code == 2);
  BOOST_TEST(empty.err.find("events.csv") != std::string::npos, empty.describe());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
