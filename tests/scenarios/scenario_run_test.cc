// backup-mx-fallback, shortened: the relay VM is off from 20 min to 1 h 20 min.
// Mail sent meanwhile goes to mx2 and reaches the home's maildir only after
// the VM is back; everything else arrives within a second or so. And two
// runs with one seed write the same bytes.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/scenario_parser.h"
#include "sim/scenario_runner.h"

using namespace tether;
using namespace tether::sim;

namespace {

const std::filesystem::path kFile = std::filesystem::path(TETHER_SOURCE_DIR) / "scenarios" / "backup-mx-fallback.yaml";
const Duration kDown = Duration::minutes(20);
const Duration kUp = Duration::minutes(80);

Scenario short_scenario(const std::string& mx2_conf) {
  auto p = load_scenario(kFile, {"duration=3h", "workload.count=12", "workload.interval=10m", "workload.start=5m",
                                 "events.0.at=20m", "events.1.at=80m", "hosts.mx2.smtpd=" + mx2_conf});
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  return p.scenario;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / "tether-scenario-test";
  TempDir() { std::filesystem::remove_all(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(scenario_run)

BOOST_AUTO_TEST_CASE(relay_down_mail_goes_via_mx2_and_arrives_after_the_relay_returns) {
  TempDir dir;
  for (const char* conf : {"backup-mx-fallback/mx2/etc/mail/smtpd-constant60.conf", "backup-mx-fallback/mx2/etc/mail/smtpd.conf"}) {
    BOOST_TEST_CONTEXT(conf) {
      Scenario s = short_scenario(conf);
      RunOptions options;
      options.out_dir = dir.path / "run";
      auto run = run_scenario(s, options);
      BOOST_TEST_REQUIRE(run.ok(), (run.ok() ? "" : run.error().to_string()));
      const Metrics& m = *run->metrics;
      BOOST_TEST(m.submitted() == 12u);
      BOOST_TEST(m.delivered() == 12u, run->summary);
      BOOST_TEST(m.bounced() == 0u);
      BOOST_TEST(m.duplicates() == 0u);
      std::size_t backup = 0;
      for (const MessageRecord& msg : m.messages()) {
        const Time sent = msg.first_attempt;
        BOOST_TEST_REQUIRE(msg.copies == 1u);
        if (sent >= Time::zero() + kDown && sent < Time::zero() + kUp) {
          // Sent while the VM was off: through mx2, delivered once it is back.
          BOOST_TEST(msg.via_backup, msg.message_id << " " << msg.path);
          BOOST_TEST(msg.path.find("mx2.example.org>mail.example.org>carinho.lan") != std::string::npos, msg.path);
          BOOST_TEST(msg.delivered >= Time::zero() + kUp);
          // Bounded by the outage plus a few retries, not by a 4-day TTL.
          BOOST_TEST(message_latency(msg) < (kUp - kDown) + Duration::minutes(30), format_duration(message_latency(msg)));
          ++backup;
        } else if (sent >= Time::zero() + kUp + Duration::minutes(5)) {
          BOOST_TEST(!msg.via_backup, msg.message_id);
          BOOST_TEST(message_latency(msg) < Duration::seconds(2), format_duration(message_latency(msg)));
        } else if (sent < Time::zero() + kDown) {
          BOOST_TEST(message_latency(msg) < Duration::seconds(2), format_duration(message_latency(msg)));
        }
      }
      BOOST_TEST(backup == 6u);
      const LatencySummary l = m.latency();
      BOOST_TEST(l.count == 12u);
      BOOST_TEST(l.p50 <= l.p95);
      BOOST_TEST(l.p95 <= l.p99);
      BOOST_TEST(l.p99 <= l.max);
      BOOST_TEST(l.max > Duration::minutes(30));
      // The tunnel was up except while the VM was off (an hour of three).
      BOOST_TEST(m.availability() > 0.6);
      BOOST_TEST(m.availability() < 0.7);
      BOOST_TEST(m.handshakes >= 1u);
      BOOST_TEST(m.keepalives > 100u);
      BOOST_TEST(std::filesystem::exists(options.out_dir / "results.json"));
    }
  }
}

BOOST_AUTO_TEST_CASE(same_seed_same_bytes) {
  TempDir dir;
  const Scenario s = short_scenario("backup-mx-fallback/mx2/etc/mail/smtpd.conf");
  RunOptions a, b;
  a.out_dir = dir.path / "a";
  b.out_dir = dir.path / "b";
  BOOST_TEST_REQUIRE(run_scenario(s, a).ok());
  BOOST_TEST_REQUIRE(run_scenario(s, b).ok());
  for (const char* f : {"results.json", "messages.csv", "events.csv"}) {
    const std::string first = slurp(a.out_dir / f);
    BOOST_TEST(first.size() > 100u, f);
    BOOST_TEST(first == slurp(b.out_dir / f), f);
  }
}

BOOST_AUTO_TEST_SUITE_END()
