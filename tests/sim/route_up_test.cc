// The tunnel's route-up in a scenario world (node/tunnel_relay_link.h):
// with the home's mail server paused for an hour while its tunnel stays up
// (rekeys every two minutes), the relay retries on its `queue retry`
// schedule (OpenSMTPD's 400 s * n^2), not at each rekey; with the home's
// NAT mapping expiring between its polls, route-up still retries the
// relay's mail the moment the home comes back; and a relay on a profile
// without such a link never does.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "support/run_process.h"
#include "scenario/scenario_parser.h"
#include "sim/scenario_runner.h"

using namespace tether;
using namespace tether::sim;
using namespace tether::scenario;

namespace {

const std::filesystem::path kFile = std::filesystem::path(TETHER_SOURCE_DIR) / "scenarios" / "nat-expiry.yaml";
const Time kPause = Time::zero() + Duration::hours(1);
const Time kResume = Time::zero() + Duration::hours(2);

RunResult run(std::vector<std::string> sets, const std::filesystem::path& out) {
  sets.insert(sets.begin(), {"duration=3h", "workload.count=12", "workload.interval=10m", "workload.start=5m"});
  auto p = load_scenario(kFile, sets);
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  static std::vector<Scenario> keep;  // Metrics refers to its scenario
  keep.push_back(p.scenario);
  RunOptions options;
  options.out_dir = out;
  auto r = run_scenario(keep.back(), options);
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  return std::move(*r);
}

const char* kPaused =
    "events=[{at: 1h, action: pause-smtp, target: carinho}, {at: 2h, action: resume-smtp, target: carinho}]";

// namorar's attempts per message id, in order.
std::map<std::string, std::vector<Time>> relay_attempts(const Metrics& m) {
  std::map<std::string, std::vector<Time>> out;
  for (const TimelineRow& row : m.timeline())
    if (row.source == "namorar" && row.kind == "attempt") out[row.detail.substr(0, row.detail.find(' '))].push_back(row.at);
  return out;
}

std::vector<Time> route_ups(const Metrics& m, const std::string& host) {
  std::vector<Time> out;
  for (const TimelineRow& row : m.timeline())
    if (row.kind == "route-up" && row.detail.rfind(host + " ", 0) == 0) out.push_back(row.at);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(route_up)

BOOST_AUTO_TEST_CASE(a_paused_home_is_retried_on_the_relays_schedule_not_at_every_rekey) {
  testing::TestDirectory dir("tether-route-up-test");
  RunResult r = run({kPaused}, dir.path() / "paused");
  const Metrics& m = *r.metrics;
  BOOST_TEST(m.delivered() == 12u, r.summary);
  BOOST_TEST(m.handshakes > 40u);  // the tunnel rekeyed all along
  // Only the first session of each side: none while paused.
  for (Time t : route_ups(m, "namorar")) BOOST_TEST(t < kPause, format_duration(t - Time::zero()));

  std::size_t paused_messages = 0, retries_while_paused = 0;
  for (const auto& [id, tries] : relay_attempts(m)) {
    if (tries.front() < kPause || tries.front() >= kResume) continue;
    ++paused_messages;
    // OpenSMTPD's grid from the first try: +400 s, +1600 s, +3600 s ...
    // (before the fix: every 120-145 s, at each rekey).
    for (std::size_t i = 1; i < tries.size(); ++i) {
      if (tries[i] >= kResume) break;  // the resumed home's first success flushes the rest
      ++retries_while_paused;
      BOOST_TEST(tries[i] - tries[i - 1] >= Duration::seconds(399), id << " " << format_duration(tries[i] - tries[i - 1]));
    }
  }
  BOOST_TEST(paused_messages == 6u);
  BOOST_TEST(retries_while_paused >= 4u);   // the schedule did run
  BOOST_TEST(retries_while_paused <= 12u);  // at every rekey it was about 25 a message
  for (const MessageRecord& msg : m.messages()) BOOST_TEST(msg.delivered < kResume + Duration::minutes(30));
}

BOOST_AUTO_TEST_CASE(route_up_still_fires_when_the_home_comes_back_after_a_nat_expiry) {
  testing::TestDirectory dir("tether-route-up-test");
  // No keepalive: the NAT forgets the home between its 20-min polls; each
  // poll brings a new session and the relay's mail goes down it at once.
  RunResult r = run({"hosts.carinho.persistent_keepalive=0"}, dir.path() / "expiry");
  const Metrics& m = *r.metrics;
  BOOST_TEST(m.delivered() == 12u, r.summary);
  const std::vector<Time> ups = route_ups(m, "namorar");
  BOOST_TEST(ups.size() >= 5u);
  std::size_t delivered_on_route_up = 0;
  for (const MessageRecord& msg : m.messages())
    for (Time up : ups)
      if (msg.delivered >= up && msg.delivered < up + Duration::seconds(5)) ++delivered_on_route_up;
  BOOST_TEST(delivered_on_route_up >= 5u);

  // The same world with the relay standing for OpenSMTPD, which has no
  // tunnel to hear from: no route-up, the mail waits for its retry slots.
  RunResult o = run({"hosts.carinho.persistent_keepalive=0", "hosts.namorar.profile=opensmtpd"}, dir.path() / "opensmtpd");
  BOOST_TEST(o.metrics->delivered() >= 10u, o.summary);  // at 3 h one still waits for its slot (11 of 12)
  BOOST_TEST(route_ups(*o.metrics, "namorar").empty());
  BOOST_TEST(route_ups(*o.metrics, "carinho").size() >= 1u);  // the home is still tether
  BOOST_TEST(o.metrics->latency().p50 > m.latency().p50);
}

// The link reads the relay's behaviour at each event: a relay reconfigured
// with `queue route-up off` (a change-config event) is obeyed from then on.
BOOST_AUTO_TEST_CASE(a_relay_reconfigured_with_route_up_off_is_no_longer_retried_by_the_tunnel) {
  testing::TestDirectory dir("tether-route-up-test");
  // namorar's config tree, copied so that the variant sits below its root.
  const std::filesystem::path source = std::filesystem::path(TETHER_SOURCE_DIR) / "scenarios" / "backup-mx-fallback" / "namorar";
  const std::filesystem::path tree = dir.path() / "namorar";
  std::filesystem::create_directories(dir.path());
  std::filesystem::copy(source, tree, std::filesystem::copy_options::recursive);
  std::filesystem::copy_file(tree / "etc/mail/smtpd.conf", tree / "etc/mail/smtpd-off.conf");
  std::ofstream(tree / "etc/mail/smtpd-off.conf", std::ios::app) << "queue route-up off\n";
  const Time change = Time::zero() + Duration::minutes(30);
  RunResult r = run({"hosts.carinho.persistent_keepalive=0", "hosts.namorar.smtpd=" + (tree / "etc/mail/smtpd.conf").string(),
                     "events=[{at: 30m, action: change-config, target: namorar, smtpd: " +
                         (tree / "etc/mail/smtpd-off.conf").string() + "}]"},
                    dir.path() / "run");
  const std::vector<Time> ups = route_ups(*r.metrics, "namorar");
  BOOST_TEST(!ups.empty());  // the home's first poll, at 13 min
  for (Time t : ups) BOOST_TEST(t < change, format_duration(t - Time::zero()));
  BOOST_TEST(route_ups(*r.metrics, "carinho").size() >= 5u);  // the tunnel did come back, again and again
}

BOOST_AUTO_TEST_SUITE_END()
