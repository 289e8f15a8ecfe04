// The shipped scenarios' promises (issue 5), on cuts short enough for ctest:
// - backup-mx-fallback (whole): mx2's two retry policies give their own
//   latencies, mx2 standing for OpenSMTPD (no success flush);
// - nat-expiry: with PersistentKeepalive 25 mail is down the tunnel within
//   about a second; with 0 it waits for the home's own traffic or the
//   relay's retry, minutes; turned on by a change-config event, at once
//   from then on;
// - ip-change (and ip-change-v6, the tunnel over IPv6 and a delegated
//   prefix): after each new home address the relay reaches the home again
//   within one keepalive interval plus a handshake, and no mail is lost;
// - link-flap-4g: the uplink drops 10 min an hour, the home fails over to 4G
//   and back (events.csv has each switch), and all mail arrives;
// - seed-week (its first hours): the seeds' setup delivers at once.

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/run_process.h"
#include "scenario/scenario_parser.h"
#include "sim/scenario_runner.h"

using namespace tether;
using namespace tether::sim;
using namespace tether::scenario;

namespace {

const std::filesystem::path kScenarios = std::filesystem::path(TETHER_SOURCE_DIR) / "scenarios";

Scenario load(const std::string& file, const std::vector<std::string>& sets) {
  auto p = load_scenario(kScenarios / file, sets);
  BOOST_TEST_REQUIRE(p.ok(), p.error_text());
  return p.scenario;
}

RunResult run(const Scenario& s, const std::filesystem::path& out) {
  RunOptions options;
  options.out_dir = out;
  auto r = run_scenario(s, options);
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().to_string()));
  return std::move(*r);
}

void all_delivered_once(const Metrics& m, std::size_t count, const std::string& summary) {
  BOOST_TEST(m.submitted() == count);
  BOOST_TEST(m.delivered() == count, summary);
  BOOST_TEST(m.bounced() == 0u);
  BOOST_TEST(m.duplicates() == 0u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(shipped_scenarios)

// The headline scenario, whole (12 h, about 2 s): mx2 and the sender stand
// for OpenSMTPD (`profile: opensmtpd`), so mx2 retries early only through
// host-status records, and it never reached the primary during the outage:
// no record, no flush. Its two retry policies then give different
// latencies, where tether's success flush used to make them almost equal
// (p50 7329 s and 7203 s, max 21729 s and 21603 s).
BOOST_AUTO_TEST_CASE(backup_mx_fallback_the_two_mx2_retry_policies_differ) {
  testing::TestDirectory dir("tether-shipped-backup-mx-fallback");
  const Scenario grid_scenario = load("backup-mx-fallback.yaml", {});
  RunResult grid = run(grid_scenario, dir.path() / "opensmtpd");
  const Scenario constant_scenario =
      load("backup-mx-fallback.yaml", {"hosts.mx2.smtpd=backup-mx-fallback/mx2/etc/mail/smtpd-constant60.conf"});
  RunResult constant = run(constant_scenario, dir.path() / "constant60");
  for (const RunResult* r : {&grid, &constant}) {
    all_delivered_once(*r->metrics, 48, r->summary);
    BOOST_TEST(r->metrics->via_backup() == 36u);
    BOOST_TEST(r->summary.find("profiles   sender opensmtpd namorar tether carinho tether mx2 opensmtpd") !=
               std::string::npos, r->summary);
  }
  auto near = [](Duration d, double seconds) { return std::abs(d.seconds_f() - seconds) < 1.0; };
  const LatencySummary g = grid.metrics->latency();
  const LatencySummary c = constant.metrics->latency();
  // 400 s * n^2 from each message's creation on mx2: the first slot after
  // the VM returns at 7 h, up to 2 h 16 min later. A message reaches mx2
  // once the sender's connect to the blackholed primary has failed: after
  // Linux's 131 s (11 SYNs, tcp_syn_linear_timeouts), 4 s later than with
  // the classic 127 s.
  BOOST_TEST(near(g.p50, 10132.361), format_duration(g.p50));
  BOOST_TEST(near(g.max, 25732.505), format_duration(g.max));
  // Every 60 s: within a minute or two of the VM's return. Each of mx2's
  // tries to the stopped VM lasts the 131 s connect timeout, which sets
  // the phase of its retries against the return.
  BOOST_TEST(near(c.p50, 7202.485), format_duration(c.p50));
  BOOST_TEST(near(c.max, 21656.023), format_duration(c.max));
  BOOST_TEST(g.p50 - c.p50 > Duration::minutes(45));
  BOOST_TEST(g.max - c.max > Duration::hours(1));
}

// 3 h: 20 messages 7 min apart from 10 min; the home polls every 20 min.
BOOST_AUTO_TEST_CASE(nat_expiry_keepalive_25_delivers_within_a_second_and_0_waits_minutes) {
  testing::TestDirectory dir("tether-shipped-nat-expiry");
  const std::vector<std::string> cut{"duration=3h", "workload.count=20"};

  auto with = cut;
  with.push_back("hosts.carinho.persistent_keepalive=25");
  const Scenario kept_scenario = load("nat-expiry.yaml", with);  // Metrics refers to it
  RunResult kept = run(kept_scenario, dir.path() / "25");
  all_delivered_once(*kept.metrics, 20, kept.summary);
  const LatencySummary k = kept.metrics->latency();
  BOOST_TEST(k.max < Duration::seconds(2), format_duration(k.max));
  // Each session leaves the mapping to expire once, for ~15 s: the home's
  // last packet is its ACK of the relay's FIN (Linux TCP), the relay's
  // passive keepalives answer it, and each re-arms the home's persistent
  // keepalive (wg_timers_any_authenticated_packet_traversal runs on receive
  // too), which then comes more than the router's 30 s after the home last
  // sent (this NAT refreshes on outbound packets only).
  BOOST_TEST(kept.metrics->availability() > 0.95);
  BOOST_TEST(kept.metrics->nat_expiries == 20u);
  BOOST_TEST(kept.metrics->keepalives > 300u);
  BOOST_TEST(kept.metrics->keepalive_ip_bytes == kept.metrics->keepalives * 60u);  // in UDP in IPv4

  auto without = cut;
  without.push_back("hosts.carinho.persistent_keepalive=0");
  const Scenario idle_scenario = load("nat-expiry.yaml", without);
  RunResult idle = run(idle_scenario, dir.path() / "0");
  const Metrics& m = *idle.metrics;
  all_delivered_once(m, 20, idle.summary);
  std::size_t minutes_late = 0;
  for (const MessageRecord& msg : m.messages())
    if (message_latency(msg) > Duration::minutes(1)) ++minutes_late;
  // Most mail waits for the home's next poll (every 20 min) or a retry.
  BOOST_TEST(minutes_late >= 15u, idle.summary);
  const LatencySummary l = m.latency();
  BOOST_TEST(l.p50 > Duration::minutes(3), format_duration(l.p50));
  BOOST_TEST(l.max > Duration::minutes(10), format_duration(l.max));
  // ... but never longer than a poll interval plus a TCP connect timeout.
  BOOST_TEST(l.max < Duration::minutes(20) + Duration::minutes(3), format_duration(l.max));
  BOOST_TEST(m.keepalives < 30u);
  BOOST_TEST(m.nat_expiries >= 5u);
  BOOST_TEST(m.availability() < 0.2);
  BOOST_TEST(m.handshakes >= 5u);
}

// The user had PersistentKeepalive 0 and, 75 min in, edits wg0.conf to 25
// and reloads (a change-config event, `wg syncconf` semantics): before it
// mail waits for the home's poll or a retry; after it, about half a second.
BOOST_AUTO_TEST_CASE(nat_expiry_keepalive_turned_on_by_a_config_change_delivers_at_once_after_it) {
  testing::TestDirectory dir("tether-shipped-nat-expiry-change");
  const Duration change_at = Duration::minutes(75);
  const Scenario s = load("nat-expiry.yaml",
                          {"duration=3h", "workload.count=20", "hosts.carinho.persistent_keepalive=0",
                           "events=[{at: 75m, action: change-config, target: carinho,"
                           " tunnel: backup-mx-fallback/carinho/etc/wireguard/wg0.conf}]"});
  BOOST_TEST_REQUIRE(s.events.size() == 1u);
  BOOST_TEST((s.events[0].action == EventAction::change_config));
  RunResult r = run(s, dir.path());
  const Metrics& m = *r.metrics;
  all_delivered_once(m, 20, r.summary);
  std::size_t late_before = 0, after = 0;
  for (const MessageRecord& msg : m.messages()) {
    if (msg.first_attempt < Time::zero() + change_at) {
      if (message_latency(msg) > Duration::minutes(1)) ++late_before;
    } else {
      ++after;
      BOOST_TEST(message_latency(msg) < Duration::seconds(1), msg.message_id << " " << format_duration(message_latency(msg)));
    }
  }
  BOOST_TEST(late_before >= 5u, r.summary);
  BOOST_TEST(after == 10u);
  std::size_t changed = 0, expiries_after = 0, handshakes_after = 0;
  for (const TimelineRow& row : m.timeline()) {
    if (row.kind == "config-changed" && row.source == "world") {
      ++changed;
      BOOST_TEST(row.at == Time::zero() + change_at);
      BOOST_TEST(row.detail == "carinho wg0.conf");
    }
    if (row.at <= Time::zero() + change_at) continue;
    if (row.kind == "nat-mapping-expired") ++expiries_after;
    if (row.source == "namorar" && row.kind == "handshake-completed") ++handshakes_after;
  }
  BOOST_TEST(changed == 1u);
  // The keepalive holds the mapping open from the change on, but for one
  // expiry after each mail session (see nat_expiry_keepalive_25_...); the
  // tunnel rekeys every 2 min as any live WireGuard session does.
  BOOST_TEST(expiries_after == after);
  BOOST_TEST(handshakes_after > 40u);
}

BOOST_AUTO_TEST_CASE(ip_change_every_2h_relay_follows_within_a_keepalive_and_no_mail_is_lost) {
  testing::TestDirectory dir("tether-shipped-ip-change");
  const Scenario s = load("ip-change.yaml", {"duration=6h", "isp.change_every=2h", "workload.count=68"});
  RunResult r = run(s, dir.path());
  const Metrics& m = *r.metrics;
  all_delivered_once(m, 68, r.summary);
  std::vector<Time> changes;
  std::vector<Duration> recoveries;
  for (const TimelineRow& row : m.timeline()) {
    if (row.kind == "isp-address") changes.push_back(row.at);
    if (row.source == "namorar" && row.kind == "endpoint-changed" && !changes.empty() &&
        recoveries.size() < changes.size())
      recoveries.push_back(row.at - changes.back());
  }
  BOOST_TEST(changes.size() == 2u);
  BOOST_TEST_REQUIRE(recoveries.size() == changes.size());
  // PersistentKeepalive 25 s plus a handshake (REKEY_TIMEOUT 5 s at most).
  for (Duration d : recoveries) BOOST_TEST(d <= Duration::seconds(25 + 5), format_duration(d));
  BOOST_TEST(m.latency().max < Duration::minutes(2), format_duration(m.latency().max));
  // Each of the 68 sessions costs ~15 s of an expired mapping (as in
  // nat_expiry_keepalive_25_...): 68 x 15 s of 6 h is 4.7 %.
  BOOST_TEST(m.availability() > 0.94);
}

// The same over IPv6: the ISP renumbers the home's delegated prefix with
// each reconnect; the tunnel runs between carinho's address in it and
// namorar's IPv6 address, with no NAT in the way.
BOOST_AUTO_TEST_CASE(ip_change_v6_relay_follows_the_new_prefix_within_a_keepalive_and_no_mail_is_lost) {
  testing::TestDirectory dir("tether-shipped-ip-change-v6");
  const Scenario s = load("ip-change-v6.yaml", {"duration=6h", "isp.change_every=2h", "workload.count=68"});
  BOOST_TEST(s.isp.prefix_pool.size() == 4u);
  RunResult r = run(s, dir.path());
  const Metrics& m = *r.metrics;
  all_delivered_once(m, 68, r.summary);
  std::vector<std::string> prefixes;  // "old -> new"
  std::vector<Time> changes;
  std::vector<TimelineRow> roams;
  for (const TimelineRow& row : m.timeline()) {
    if (row.kind == "isp-prefix") {
      changes.push_back(row.at);
      prefixes.push_back(row.detail);
    }
    if (row.source == "namorar" && row.kind == "endpoint-changed" && !changes.empty() && roams.size() < changes.size())
      roams.push_back(row);
  }
  BOOST_TEST_REQUIRE(changes.size() == 2u);
  BOOST_TEST_REQUIRE(roams.size() == 2u);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    // "uplink 3fff:400::/56 -> 3fff:200::/56": the relay moves to carinho's
    // address under the new prefix (interface id ::10), from a v6 address.
    const std::string new_prefix = prefixes[i].substr(prefixes[i].rfind(' ') + 1);
    const std::string new_address = "[" + new_prefix.substr(0, new_prefix.find("::/")) + "::10]:";
    BOOST_TEST(roams[i].detail.find("-> " + new_address) != std::string::npos, roams[i].detail << " / " << prefixes[i]);
    BOOST_TEST(roams[i].at - changes[i] <= Duration::seconds(25 + 5), format_duration(roams[i].at - changes[i]));
  }
  BOOST_TEST(m.latency().max < Duration::minutes(2), format_duration(m.latency().max));
  BOOST_TEST(m.availability() > 0.99);
  BOOST_TEST(m.nat_expiries == 0u);  // the tunnel never crosses the NAT
  BOOST_TEST(m.keepalives > 0u);
  BOOST_TEST(m.keepalive_ip_bytes == m.keepalives * 80u);  // 32 B of WireGuard in UDP in IPv6
}

BOOST_AUTO_TEST_CASE(link_flap_4g_fails_over_and_back_and_delivers_everything) {
  testing::TestDirectory dir("tether-shipped-link-flap");
  const Scenario s = load("link-flap-4g.yaml", {});
  RunResult r = run(s, dir.path());
  const Metrics& m = *r.metrics;
  all_delivered_once(m, 70, r.summary);
  std::size_t to_4g = 0, back = 0;
  for (const TimelineRow& row : m.timeline())
    if (row.kind == "uplink-switch") (row.detail.find("to 4G") != std::string::npos ? to_4g : back)++;
  BOOST_TEST(to_4g == 6u);
  BOOST_TEST(back == 6u);
  const std::string events = testing::read_file(dir.path() / "events.csv");
  BOOST_TEST(events.find(",world,uplink-switch,gateway to 4G") != std::string::npos);
  BOOST_TEST(events.find(",world,uplink-switch,gateway to the wired line") != std::string::npos);
  BOOST_TEST(m.latency().max < Duration::minutes(2), format_duration(m.latency().max));
}

// seed-week is a week (bench/sim_throughput times it); here its first 2 h:
// 300 mails a day from 2 min is 25 messages, each down the tunnel at once.
BOOST_AUTO_TEST_CASE(seed_week_first_two_hours_deliver_everything_at_once) {
  testing::TestDirectory dir("tether-shipped-seed-week");
  const Scenario s = load("seed-week.yaml", {"duration=2h"});
  BOOST_TEST(s.workload.count == 2100u);
  RunResult r = run(s, dir.path());
  const Metrics& m = *r.metrics;
  all_delivered_once(m, 25, r.summary);
  BOOST_TEST(m.latency().max < Duration::seconds(2), format_duration(m.latency().max));
  BOOST_TEST(m.via_backup() == 0u);
  BOOST_TEST(m.availability() > 0.99);
  // The home's keepalives: at most one a 10 s round plus one per handshake
  // (720 + 59 = 779). Its hosts stand for OpenBSD: wg(4)'s timeout runs on
  // the 10 ms tick up to one early, and namorar's keepalive, when it arrives
  // first, re-arms carinho's timer, so carinho skips some rounds: 731 here
  // (759 when every host was an exact-clock Linux).
  BOOST_TEST(m.handshakes == 59u);
  BOOST_TEST(m.keepalives >= 700u);
  BOOST_TEST(m.keepalives <= 745u, m.keepalives);
}

BOOST_AUTO_TEST_SUITE_END()
