// tether-compare's pieces without root: the tolerances, what lab.json's
// host records ask of the simulation, results.json read back, the rows
// checked against their bounds.

#include <boost/test/unit_test.hpp>

#include "lab/compare/compare_bounds.h"
#include "lab/compare/lab_implementations.h"
#include "lab/compare/run_figures.h"
#include "lab/compare/side_by_side.h"
#include "support/run_process.h"

using tether::lab::CompareBounds;
using tether::lab::RunFigures;
using tether::testing::TestDirectory;
using tether::testing::write_file;

namespace {

const tether::lab::FigureRow* row(const tether::lab::SideBySide& t, const std::string& name) {
  for (const auto& r : t.rows)
    if (r.name == name) return &r;
  return nullptr;
}

RunFigures figures(std::uint64_t delivered, double p50, std::uint64_t handshakes) {
  RunFigures f;
  f.submitted = 10;
  f.delivered = delivered;
  f.undelivered = 10 - delivered;
  f.latency_p50 = f.latency_p95 = f.latency_max = p50;
  f.handshakes = handshakes;
  return f;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(compare_bounds)

BOOST_AUTO_TEST_CASE(the_defaults_are_issue_12s_goal) {
  CompareBounds b;
  BOOST_TEST(b.figure("delivered").text() == "0");
  BOOST_TEST(b.figure("bounced").text() == "0");
  BOOST_TEST(b.figure("latency.p95").text() == "5%,100ms");
  BOOST_TEST(b.figure("handshakes").text() == "1");
  BOOST_TEST(!b.figure("keepalives").checked());
  BOOST_TEST(std::string(tether::pcap::to_string(b.uplink().order())) == "exact");
  BOOST_TEST(!b.uplink().bound("wg.keepalive", tether::pcap::CompareMeasure::w1).checked());
}

BOOST_AUTO_TEST_CASE(latency_is_within_5_percent_or_100_ms_whichever_is_larger) {
  const CompareBounds bounds;
  const auto& latency = bounds.figure("latency.max");
  BOOST_TEST(latency.admits(0.099, 0.7));   // 100 ms at 0.7 s
  BOOST_TEST(!latency.admits(0.101, 0.7));
  BOOST_TEST(latency.admits(1.9, 40.0));    // 5 % of 40 s is 2 s
  BOOST_TEST(!latency.admits(2.1, 40.0));
}

BOOST_AUTO_TEST_CASE(rules_widen_narrow_and_reach_the_uplink_comparison) {
  CompareBounds b;
  BOOST_TEST(b.add("latency=1s").ok());
  BOOST_TEST(b.figure("latency.p50").text() == "1s");
  BOOST_TEST(b.add("handshakes=off").ok());
  BOOST_TEST(!b.figure("handshakes").checked());
  BOOST_TEST(b.add("keepalives=10%,2").ok());
  BOOST_TEST(b.figure("keepalives").admits(2, 10));
  BOOST_TEST(b.add("order=prefix").ok());
  BOOST_TEST(std::string(tether::pcap::to_string(b.uplink().order())) == "prefix");
  BOOST_TEST(b.add("wg.keepalive*:w1=20%").ok());
  BOOST_TEST(b.uplink().bound("wg.keepalive.initiator", tether::pcap::CompareMeasure::w1).text == "20%");
}

BOOST_AUTO_TEST_CASE(a_bad_rule_is_named_with_what_is_wrong) {
  CompareBounds b;
  auto unknown = b.add("deliverd=0");
  BOOST_TEST_REQUIRE(!unknown.ok());
  BOOST_TEST(unknown.error().message.find("no figure 'deliverd'") != std::string::npos, unknown.error().message);
  auto bad_value = b.add("delivered=1.5");
  BOOST_TEST_REQUIRE(!bad_value.ok());
  BOOST_TEST(bad_value.error().message.find("'delivered=1.5'") != std::string::npos, bad_value.error().message);
  BOOST_TEST(!b.add("latency=fast").ok());
  BOOST_TEST(!b.add("order=sideways").ok());
  BOOST_TEST(!b.add("delivered").ok());
}

BOOST_AUTO_TEST_CASE(rows_within_and_outside_their_bounds) {
  const CompareBounds b;
  const tether::lab::UplinkComparison no_captures;
  const auto same = tether::lab::side_by_side(figures(10, 0.70, 1), figures(10, 0.78, 2), b, no_captures);
  BOOST_TEST(same.within());
  const auto off = tether::lab::side_by_side(figures(9, 0.70, 1), figures(10, 0.95, 3), b, no_captures);
  BOOST_TEST(!off.within());
  BOOST_TEST(off.outside.size() == 6u);  // delivered, undelivered, three latencies, handshakes
  BOOST_TEST_REQUIRE(row(off, "delivered"));
  BOOST_TEST((row(off, "delivered")->within == std::optional<bool>(false)));
  BOOST_TEST(!row(off, "keepalives")->within.has_value());  // shown, not checked
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lab_implementations)

BOOST_AUTO_TEST_CASE(opensmtpd_in_the_lab_puts_the_simulated_host_on_its_profile) {
  tether::scenario::HostSpec mx2;
  mx2.name = "mx2";
  mx2.smtpd = "/x/smtpd.conf";
  const auto set = tether::lab::sim_overrides_for(mx2, "OpenSMTPD 6.8 (Debian)J");
  BOOST_TEST((set == std::vector<std::string>{"hosts.mx2.profile=opensmtpd"}));
  BOOST_TEST(tether::lab::sim_overrides_for(mx2, "tetherd (linux profile)").empty());
  tether::scenario::HostSpec home = mx2;
  home.name = "carinho";
  home.tunnel = "/x/wg0.conf";
  BOOST_TEST((tether::lab::sim_overrides_for(home, "wireguard-go, tetherd relay") ==
             std::vector<std::string>{"hosts.carinho.os=linux"}));
}

BOOST_AUTO_TEST_CASE(lab_json_records_are_strings_or_objects_and_a_missing_host_is_named) {
  TestDirectory dir("compare-labjson");
  tether::scenario::Scenario s;
  s.hosts.resize(2);
  s.hosts[0].name = "sender";
  s.hosts[0].smtpd = "/x/smtpd.conf";
  s.hosts[1].name = "mx2";
  s.hosts[1].smtpd = "/x/smtpd.conf";
  write_file(dir / "lab.json",
             R"J({"hosts": {"sender": "tetherd (linux profile)", "mx2": {"relay": "opensmtpd", "version": "6.8"}}})J");
  auto read = tether::lab::read_lab_implementations(dir / "lab.json", s);
  BOOST_TEST_REQUIRE(read.ok(), (read.ok() ? std::string() : read.error().message));
  BOOST_TEST((*read)[0].sim_overrides.empty());
  BOOST_TEST(((*read)[1].sim_overrides == std::vector<std::string>{"hosts.mx2.profile=opensmtpd"}));
  write_file(dir / "lab.json", R"J({"hosts": {"sender": "tetherd (linux profile)"}})J");
  auto missing = tether::lab::read_lab_implementations(dir / "lab.json", s);
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().message.find("hosts.mx2: not recorded") != std::string::npos, missing.error().message);
}

BOOST_AUTO_TEST_CASE(results_json_is_read_and_a_missing_field_named) {
  TestDirectory dir("compare-results");
  write_file(dir / "results.json", R"J({"messages": {"submitted": 2, "delivered": 1, "undelivered": 1, "bounced": 0,
    "via_backup": 1, "duplicates": 0}, "latency_s": {"from": "x", "count": 1, "p50": 0.7, "p95": 0.7, "p99": 0.7,
    "max": 0.7, "mean": 0.7}, "tunnel": {"availability": 0.5, "handshakes": 2, "keepalives": 30},
    "nat": {"expiries": 1}, "relays": [{"host": "mx2", "attempts": 3, "retries": 2}], "relay_retries": 2})J");
  auto f = tether::lab::read_run_figures(dir / "results.json");
  BOOST_TEST_REQUIRE(f.ok(), (f.ok() ? std::string() : f.error().message));
  BOOST_TEST(f->via_backup == 1u);
  BOOST_TEST(f->latency_max == 0.7);
  BOOST_TEST(f->relays.at(0).retries == 2u);
  write_file(dir / "results.json", R"J({"messages": {"submitted": 2}})J");
  auto bad = tether::lab::read_run_figures(dir / "results.json");
  BOOST_TEST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().message.find("messages.delivered: missing") != std::string::npos, bad.error().message);
}

BOOST_AUTO_TEST_SUITE_END()
