// The simulation's own captures against its own account of the run: the
// timeline of a shipped scenario's pcaps, read through its result directory
// as `tether-pcap timeline DIR --link L` reads it (key logs merged), equals
// its events.csv for the events both record: as many, at the same times to
// events.csv's millisecond, after the epoch the pcaps are stamped from.
//
// What each events.csv row is on the wire (every packet is stamped as it
// leaves or arrives at the link end named, in the same simulated instant as
// the app's event):
//   HOST,handshake-completed   the initiator: the WireGuard response arriving
//                              at HOST; the responder: the first transport
//                              message of that session arriving at HOST
//                              (carinho on lan-0, namorar on namorar-0)
//   namorar,endpoint-changed   a WireGuard message reaching namorar (namorar-0)
//                              from another source than the last: "OLD -> NEW"
//   gateway,nat-mapping-created the gateway's first packet out (uplink-0) from
//                              a new public source, or the first after the
//                              mapping expired: "LAN -> PUBLIC"
//   carinho,accepted           carinho's 250 ending the transaction, inside
//                              the tunnel, leaving carinho (lan-0)
//   namorar,relayed (to carinho.lan)  its detail ends with that 250's text; its
//                              time is the 221 to QUIT arriving at namorar
//                              (namorar-0): the relay notes a relay at the
//                              session's end
//   sender,accepted and workload,submitted  the sender's 250 ending the
//                              submission's transaction (sender-submission-1)
//   world,home-activity        the home's datagram into the tunnel, a transport
//                              message carrying UDP leaving carinho (lan-0)
// Not on the wire as such: attempt (the MTA starts it before its MX lookup;
// the SYN comes later), namorar's accepted and the sender's relayed (their
// 250 and 221 travel in TLS after STARTTLS), route-up, delivered-maildir,
// nat-mapping-flushed, nat-mapping-expired, isp-address (no packet marks
// them).

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <set>

#include "pcap/result_directory.h"
#include "pcap/sim_run.h"

namespace tether::pcap {
namespace {

using namespace testing;
using tether::testing::TestDirectory;

constexpr const char* kCarinho = "192.168.1.10:";
constexpr const char* kNamorar = "203.0.113.10:";

bool starts_with(const std::string& s, const std::string& head) {
  return s.compare(0, head.size(), head) == 0;
}

struct Run {
  std::filesystem::path dir;
  WallTime epoch;
  std::vector<SimEvent> events;

  std::vector<TimelineEvent> link(const std::string& name) const {
    auto timeline = build_timeline_of_inputs({dir.string()}, {}, {name}, {});
    BOOST_TEST_REQUIRE(timeline.ok(), (timeline.ok() ? std::string() : timeline.error().message));
    BOOST_TEST(timeline->problems.empty());
    BOOST_TEST(timeline->counts.wg_decryption_failed == 0u);
    return timeline->events;
  }
  double seconds(const TimelineEvent& e) const { return double(e.at.unix_ns() - epoch.unix_ns()) / 1e9; }
};

// A time seen in a capture for one events.csv row, and what its detail should say.
struct Seen {
  double at_s = 0;
  std::string detail;  // empty: not compared
};

bool wire_wg(const TimelineEvent& e, int type) {
  return e.layer.empty() && e.protocol == "wg" && e.wg_type == type;
}

// handshake-completed at the host whose address starts `host`, on its link.
std::vector<Seen> handshakes_completed(const Run& run, const std::vector<TimelineEvent>& link,
                                       const std::string& host) {
  std::vector<Seen> out;
  std::set<std::uint32_t> answered;  // the host's responder indexes waiting for the first transport message
  for (const TimelineEvent& e : link) {
    if (wire_wg(e, 2) && starts_with(e.destination, host)) out.push_back({run.seconds(e), ""});
    if (wire_wg(e, 2) && starts_with(e.source, host)) answered.insert(*e.wg_sender);
    if (wire_wg(e, 4) && starts_with(e.destination, host) && answered.erase(*e.wg_receiver))
      out.push_back({run.seconds(e), ""});
  }
  return out;
}

std::vector<Seen> endpoint_changes(const Run& run, const std::vector<TimelineEvent>& link,
                                   const std::string& host) {
  std::vector<Seen> out;
  std::string last = "-";
  for (const TimelineEvent& e : link) {
    if (!(wire_wg(e, 1) || wire_wg(e, 2) || wire_wg(e, 4)) || !starts_with(e.destination, host)) continue;
    if (e.source != last) out.push_back({run.seconds(e), last + " -> " + e.source});
    last = e.source;
  }
  return out;
}

// A mapping is made by the first packet out from a new public source, or
// the first after the last mapping expired (the same source again: the
// NAT maps endpoint-independently and reuses the port). An expiry leaves
// no packet; events.csv's time of it (to the millisecond) tells.
std::vector<Seen> nat_mappings(const Run& run, const std::vector<TimelineEvent>& uplink) {
  std::vector<double> expiries;
  for (const SimEvent& e : run.events)
    if (e.source == "gateway" && e.kind == "nat-mapping-expired") expiries.push_back(e.at_s);
  std::vector<Seen> out;
  std::string last;
  double last_out_s = -1;
  for (const TimelineEvent& e : uplink) {
    if (!e.layer.empty() || !starts_with(e.destination, kNamorar)) continue;  // outbound through the NAT
    const double at_s = run.seconds(e);
    bool expired = false;
    for (double x : expiries) expired = expired || (x > last_out_s + 0.0005 && x <= at_s + 0.0005);
    if (e.source != last || expired) out.push_back({at_s, "-> " + e.source});
    last = e.source;
    last_out_s = at_s;
  }
  return out;
}

std::vector<Seen> of_kind(const Run& run, const std::vector<TimelineEvent>& link, const std::string& key,
                          const std::string& source_head) {
  std::vector<Seen> out;
  for (const TimelineEvent& e : link)
    if ((e.layer.empty() ? "" : e.layer + "/") + e.protocol + "." + e.kind == key &&
        starts_with(e.source, source_head))
      out.push_back({run.seconds(e), ""});
  return out;
}

// namorar's relayed: the 250 of each transaction with carinho, timed at the
// 221 that ends its session.
std::vector<Seen> relays_to_home(const Run& run, const std::vector<TimelineEvent>& link) {
  std::vector<Seen> out;
  std::map<std::string, std::string> open;  // connection -> the last transaction's reply
  for (const TimelineEvent& e : link) {
    if (e.layer != "wg" || e.protocol != "smtp" || !starts_with(e.source, "10.8.0.2:25")) continue;
    const std::string connection = e.source + ">" + e.destination;
    if (e.kind == "transaction") open[connection] = e.detail.substr(e.detail.find(": ") + 2);
    if (e.kind == "reply" && e.smtp_code == 221 && open.count(connection)) {
      out.push_back({run.seconds(e), open[connection]});
      open.erase(connection);
    }
  }
  return out;
}

std::vector<Seen> home_datagrams(const Run& run, const std::vector<TimelineEvent>& lan) {
  std::vector<Seen> out;
  for (const TimelineEvent& e : lan)
    if (wire_wg(e, 4) && starts_with(e.source, kCarinho) && e.detail.find(" proto 17 ") != std::string::npos)
      out.push_back({run.seconds(e), ""});
  return out;
}

// The rows of `source,kind` (and whose detail holds `detail_has`) held
// against what the capture shows: the same count, each at the same time to
// events.csv's millisecond (a pcap keeps microseconds, events.csv rounds to
// milliseconds), and where `seen` says, the same detail (the row's detail
// ends with it).
std::size_t expect_same(const Run& run, const std::string& source, const std::string& kind,
                        const std::vector<Seen>& seen, const std::string& detail_has = "") {
  std::vector<SimEvent> rows;
  for (const SimEvent& e : run.events)
    if (e.source == source && e.kind == kind && e.detail.find(detail_has) != std::string::npos)
      rows.push_back(e);
  BOOST_TEST_CONTEXT(run.dir.filename().string() << ": " << source << "," << kind) {
    BOOST_TEST(rows.size() == seen.size());
    for (std::size_t i = 0; i < std::min(rows.size(), seen.size()); ++i) {
      BOOST_TEST_CONTEXT("row " << i << " at " << rows[i].time_s << ", packet at " << seen[i].at_s) {
        BOOST_TEST(std::fabs(rows[i].at_s - seen[i].at_s) <= 0.0005 + 1e-6);
        if (!seen[i].detail.empty()) {
          const std::string& d = rows[i].detail;
          BOOST_TEST((d.size() >= seen[i].detail.size() &&
                      d.compare(d.size() - seen[i].detail.size(), std::string::npos, seen[i].detail) == 0),
                     "'" << d << "' does not end with '" << seen[i].detail << "'");
        }
      }
    }
  }
  return rows.size();
}

// Every kind events.csv holds is either held against the capture or known
// to leave no packet of its own; a kind added later has to be placed.
void expect_every_kind_placed(const Run& run) {
  const std::set<std::string> compared = {
      "handshake-completed", "endpoint-changed", "nat-mapping-created", "accepted", "relayed",
      "submitted",           "home-activity"};
  const std::set<std::string> not_on_the_wire = {"attempt",           "route-up",
                                                 "delivered-maildir", "nat-mapping-flushed",
                                                 "nat-mapping-expired", "isp-address"};
  for (const SimEvent& e : run.events)
    BOOST_TEST((compared.count(e.kind) || not_on_the_wire.count(e.kind)),
               "events.csv kind '" << e.kind << "' is not placed");
}

// The counts held, per events.csv kind, over every run.
std::map<std::string, std::size_t> hold_run_against_events(const Run& run) {
  std::map<std::string, std::size_t> held;
  const auto lan = run.link("lan-0"), relay = run.link("namorar-0"), uplink = run.link("uplink-0"),
             submission = run.link("sender-submission-1");
  held["carinho handshake-completed"] +=
      expect_same(run, "carinho", "handshake-completed", handshakes_completed(run, lan, kCarinho));
  held["namorar handshake-completed"] +=
      expect_same(run, "namorar", "handshake-completed", handshakes_completed(run, relay, kNamorar));
  held["namorar endpoint-changed"] +=
      expect_same(run, "namorar", "endpoint-changed", endpoint_changes(run, relay, kNamorar));
  held["gateway nat-mapping-created"] +=
      expect_same(run, "gateway", "nat-mapping-created", nat_mappings(run, uplink));
  held["carinho accepted"] +=
      expect_same(run, "carinho", "accepted", of_kind(run, lan, "wg/smtp.transaction", "10.8.0.2:25"));
  held["namorar relayed"] +=
      expect_same(run, "namorar", "relayed", relays_to_home(run, relay), "carinho.lan");
  held["sender accepted"] +=
      expect_same(run, "sender", "accepted", of_kind(run, submission, "smtp.transaction", ""));
  held["workload submitted"] +=
      expect_same(run, "workload", "submitted", of_kind(run, submission, "smtp.transaction", ""));
  held["world home-activity"] += expect_same(run, "world", "home-activity", home_datagrams(run, lan));
  expect_every_kind_placed(run);
  return held;
}

BOOST_AUTO_TEST_SUITE(sim_events_timeline)

BOOST_AUTO_TEST_CASE(the_timeline_of_a_runs_pcaps_equals_its_events_csv) {
  TestDirectory dir("tether-pcap-sim-events");
  struct Cut {
    const char* scenario;
    std::vector<std::string> sets;
  };
  // nat-expiry for 20 minutes (3 messages, keepalive 25 s, the home's poll
  // at 13 min) and ip-change renumbering the home every 20 min for an hour
  // (new NAT mappings, the relay's endpoint following).
  const std::vector<Cut> cuts = {
      {"nat-expiry.yaml", {"duration=20m", "workload.count=3", "workload.start=2m", "workload.interval=5m"}},
      {"ip-change.yaml", {"duration=1h", "isp.change_every=20m"}},
  };
  std::map<std::string, std::size_t> held;
  for (const Cut& cut : cuts) {
    Run run;
    run.dir = dir / cut.scenario;
    run_sim(cut.scenario, run.dir, cut.sets);
    run.epoch = result_epoch(run.dir);
    run.events = read_sim_events(run.dir);
    for (const auto& [what, n] : hold_run_against_events(run)) held[what] += n;
  }
  // Each correspondence was held on something: a count of 0 on both sides
  // would pass without showing anything.
  for (const auto& [what, n] : held) {
    BOOST_TEST_MESSAGE(what << ": " << n << " rows");
    BOOST_TEST(n > 0u, what << " never happened in the runs");
  }
  BOOST_TEST(held["gateway nat-mapping-created"] >= 4u);  // 1 in nat-expiry, 3 in ip-change
  BOOST_TEST(held["namorar endpoint-changed"] >= 4u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
