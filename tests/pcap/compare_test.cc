// compare_timelines on timelines written out event by event: the kind keys
// (with which end of a session sent a transport message), counts, the
// order of control messages, interval distances, matched times, anchors
// and spans, and the tolerance rules' syntax and precedence.

#include "pcap/compare.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "pcap/compare_report.h"

namespace tether::pcap {
namespace {

constexpr std::int64_t kEpoch = 1767225600;  // 2026-01-01T00:00:00Z

TimelineEvent wg(double at_s, int type, const char* kind, const char* source, const char* destination) {
  TimelineEvent e;
  e.at = WallTime::from_unix_ns(kEpoch * 1000'000'000 + std::int64_t(at_s * 1e9 + 0.5));
  e.source = source;
  e.destination = destination;
  e.protocol = "wg";
  e.kind = kind;
  e.wg_type = type;
  return e;
}

constexpr const char* kHome = "192.168.1.10:49153";
constexpr const char* kRelay = "203.0.113.10:51820";

TimelineEvent initiation(double at, std::uint32_t sender) {
  TimelineEvent e = wg(at, 1, "initiation", kHome, kRelay);
  e.wg_sender = sender;
  return e;
}
TimelineEvent response(double at, std::uint32_t sender, std::uint32_t receiver) {
  TimelineEvent e = wg(at, 2, "response", kRelay, kHome);
  e.wg_sender = sender;
  e.wg_receiver = receiver;
  return e;
}
// A keepalive to the end whose index is `receiver`.
TimelineEvent keepalive(double at, std::uint32_t receiver, bool from_home) {
  TimelineEvent e = wg(at, 4, "keepalive", from_home ? kHome : kRelay, from_home ? kRelay : kHome);
  e.wg_receiver = receiver;
  e.wg_keepalive = true;
  return e;
}

// A handshake at `start` (home initiates: index 0xA, relay answers: 0xB),
// then the home's keepalives every `home_every` s and the relay's every
// `relay_every` s, until `end`.
std::vector<TimelineEvent> tunnel(double start, double home_every, double relay_every, double end) {
  std::vector<TimelineEvent> out = {initiation(start, 0xA), response(start + 0.016, 0xB, 0xA)};
  for (double t = start + home_every; t < end; t += home_every) out.push_back(keepalive(t, 0xB, true));
  for (double t = start + relay_every; t < end; t += relay_every) out.push_back(keepalive(t, 0xA, false));
  std::stable_sort(out.begin(), out.end(),
                   [](const TimelineEvent& x, const TimelineEvent& y) { return x.at < y.at; });
  return out;
}

Comparison compared(const std::vector<TimelineEvent>& a, const std::vector<TimelineEvent>& b,
                    const std::vector<std::string>& rules = {}, CompareOptions options = {}) {
  for (const std::string& r : rules) BOOST_TEST_REQUIRE(options.tolerances.add(r).ok(), r);
  auto c = compare_timelines(a, b, options);
  BOOST_TEST_REQUIRE(c.ok(), (c.ok() ? std::string() : c.error().message));
  return *c;
}

const KindCount& count_of(const Comparison& c, const std::string& key) {
  for (const KindCount& k : c.counts)
    if (k.key == key) return k;
  BOOST_FAIL("no count for " << key);
  throw;
}

const IntervalComparison& intervals_of(const Comparison& c, const std::string& key) {
  for (const IntervalComparison& i : c.intervals)
    if (i.key == key) return i;
  BOOST_FAIL("no intervals for " << key);
  throw;
}

std::string failures(const Comparison& c) {
  std::string out;
  for (const std::string& f : c.failures) out += f + "\n";
  return out;
}

BOOST_AUTO_TEST_SUITE(compare)

BOOST_AUTO_TEST_CASE(transport_messages_count_under_the_end_that_sent_them) {
  const auto t = tunnel(0, 25, 60, 200);  // the home 7 times, the relay 3
  const Comparison c = compared(t, t);
  BOOST_TEST(count_of(c, "wg.keepalive").a == 10u);
  BOOST_TEST(count_of(c, "wg.keepalive.initiator").a == 7u);
  BOOST_TEST(count_of(c, "wg.keepalive.responder").a == 3u);
  BOOST_TEST(count_of(c, "wg.initiation").b == 1u);
  const IntervalComparison& home = intervals_of(c, "wg.keepalive.initiator");
  BOOST_TEST(home.a_summary.n == 6u);
  BOOST_TEST(home.a_summary.median == 25.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(intervals_of(c, "wg.keepalive.responder").a_summary.median == 60.0,
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(events_given_out_of_order_are_taken_in_time_order) {
  auto t = tunnel(0, 25, 60, 200);
  std::reverse(t.begin(), t.end());  // the keepalives before the handshake that names their indexes
  const Comparison c = compared(t, tunnel(0, 25, 60, 200), {"count=0", "w1=0", "time=0"});
  BOOST_TEST(c.pass(), failures(c));
  BOOST_TEST(count_of(c, "wg.keepalive.initiator").a == 7u);
}

BOOST_AUTO_TEST_CASE(a_timeline_against_itself_is_zero_apart_and_passes) {
  const auto t = tunnel(0, 10, 20, 300);
  const Comparison c = compared(t, t, {"ks=0", "w1=0", "time=0", "count=0"});
  BOOST_TEST(c.pass(), failures(c));
  BOOST_TEST(c.order.equal);
  for (const IntervalComparison& i : c.intervals) {
    BOOST_TEST(*i.ks == 0.0);
    BOOST_TEST(*i.w1 == 0.0);
  }
  for (const MatchedTimes& m : c.matched) BOOST_TEST(m.max_abs_s == 0.0);
}

BOOST_AUTO_TEST_CASE(another_keepalive_fails_on_its_interval_and_count) {
  const Comparison c = compared(tunnel(0, 25, 1000, 300), tunnel(0, 10, 1000, 300));
  BOOST_TEST(!c.pass());
  const IntervalComparison& home = intervals_of(c, "wg.keepalive.initiator");
  BOOST_TEST(!home.pass);
  BOOST_TEST(*home.w1 == 15.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(*home.ks == 1.0);
  BOOST_TEST(failures(c).find(
                 "wg.keepalive.initiator intervals (keepalive interval, sent by the session's initiator): W1 "
                 "15.000000 s, more than 10%") != std::string::npos,
             failures(c));
  BOOST_TEST(!count_of(c, "wg.keepalive.initiator").pass);
  // Bounds loose enough pass it; per kind, a later rule wins.
  BOOST_TEST(compared(tunnel(0, 25, 1000, 300), tunnel(0, 10, 1000, 300), {"w1=16s", "count=off"}).pass());
  BOOST_TEST(!compared(tunnel(0, 25, 1000, 300), tunnel(0, 10, 1000, 300),
                       {"count=off", "w1=16s", "wg.keepalive.*:w1=1s"})
                  .pass());
  BOOST_TEST(
      compared(tunnel(0, 25, 1000, 300), tunnel(0, 10, 1000, 300), {"count=off", "wg.keepalive*:w1=off"})
          .pass());
}

BOOST_AUTO_TEST_CASE(the_order_of_control_messages_names_its_first_difference) {
  auto a = tunnel(0, 10, 1000, 30);
  auto b = a;
  b.insert(b.begin() + 1, initiation(0.005, 0xC));  // a retry before the response
  const Comparison c = compared(a, b);
  BOOST_TEST(!c.order.equal);
  BOOST_TEST(c.order.a == 2u);
  BOOST_TEST(c.order.b == 3u);
  BOOST_TEST(*c.order.first_difference == 1u);
  BOOST_TEST(c.order.a_row->kind == "response");
  BOOST_TEST(c.order.b_row->kind == "initiation");
  BOOST_TEST(c.order.b_row->at_s == 0.005, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(failures(c).find("tunnel control messages: the order differs at #2: A response, B initiation") !=
                 std::string::npos,
             failures(c));
  // One sequence beginning the other passes with order=prefix, not exact.
  auto longer = a;
  longer.push_back(initiation(40, 0xD));
  BOOST_TEST(!compared(a, longer, {"count=off"}).order.pass);
  BOOST_TEST(compared(a, longer, {"count=off", "order=prefix"}).pass());
  BOOST_TEST(!compared(a, b, {"order=prefix"}).order.pass);
  BOOST_TEST(compared(a, b, {"order=off", "count=off", "w1=off"}).pass());
}

BOOST_AUTO_TEST_CASE(matched_times_count_from_each_anchor) {
  auto a = tunnel(100, 10, 1000, 200);
  auto b = tunnel(5000, 10, 1000, 5100);  // the same, 4900 s later: from their anchors, equal
  for (TimelineEvent& e : b)
    if (e.kind == "keepalive") e.at = e.at + Duration::milliseconds(200);  // each keepalive 0.2 s late
  Comparison c = compared(a, b, {"time=100ms"});
  BOOST_TEST(!c.pass());
  BOOST_TEST(failures(c).find("wg.keepalive: matched events differ by up to 0.200000 s") != std::string::npos,
             failures(c));
  c = compared(a, b, {"time=250ms"});
  BOOST_TEST(c.pass(), failures(c));
}

BOOST_AUTO_TEST_CASE(an_anchor_and_a_span_choose_the_events_compared) {
  auto a = tunnel(50, 10, 1000, 500);
  a.insert(a.begin(), keepalive(1, 0x99, true));  // before the handshake: an older session's
  auto b = tunnel(0, 10, 1000, 90);
  CompareOptions options;
  options.anchor = "wg.initiation";
  options.span = Duration::seconds(85);
  const Comparison c = compared(a, b, {"count=0"}, options);
  BOOST_TEST(c.pass(), failures(c));
  BOOST_TEST(c.a.left_out == 1u + 36u);  // the early one, and those 85 s or more after the anchor
  BOOST_TEST(c.a.events == 10u);
  BOOST_TEST(c.a.anchor.unix_ns() == (kEpoch + 50) * 1000'000'000);

  options.anchor = "wg.cookie-reply";
  auto missing = compare_timelines(a, b, options);
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().message == "A: no event of kind wg.cookie-reply to anchor on");
}

BOOST_AUTO_TEST_CASE(tolerance_rules_are_checked_and_named) {
  CompareTolerances t;
  BOOST_TEST(t.bound("wg.keepalive", CompareMeasure::count).text == "10%");
  BOOST_TEST(t.bound("wg.keepalive", CompareMeasure::w1).text == "10%");
  BOOST_TEST(!t.bound("wg.keepalive", CompareMeasure::ks).checked());
  BOOST_TEST(!t.bound("wg.keepalive", CompareMeasure::time).checked());
  BOOST_TEST(t.add("ks=0.2").ok());
  BOOST_TEST(t.add("wg.keepalive*:w1=20ms").ok());
  BOOST_TEST(t.add("tcp.*:count=3").ok());
  BOOST_TEST(t.bound("wg.keepalive.initiator", CompareMeasure::w1).value == 0.02,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(t.bound("wg.initiation", CompareMeasure::w1).text == "10%");
  BOOST_TEST(t.bound("tcp.syn", CompareMeasure::count).value == 3.0);
  BOOST_TEST(t.bound("wg.initiation", CompareMeasure::ks).value == 0.2);
  BOOST_TEST(t.add("order=prefix").ok());
  BOOST_TEST(std::string(to_string(t.order())) == "prefix");

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"w1", "--tolerance 'w1': expected [KINDS:]MEASURE=VALUE"},
      {"w2=1s", "--tolerance 'w2=1s': unknown measure 'w2' (count, ks, w1, time, order)"},
      {"w1=1", "--tolerance 'w1=1': '1': expected a duration such as 1s or 20ms, or a percentage"},
      {"ks=1.5", "--tolerance 'ks=1.5': '1.5': the KS statistic lies between 0 and 1"},
      {"ks=10%", "--tolerance 'ks=10%': '10%': ks takes no percentage"},
      {"time=5%", "--tolerance 'time=5%': '5%': time takes no percentage"},
      {"count=5.5", "--tolerance 'count=5.5': '5.5': expected a whole number of events or a percentage"},
      {"count=-1", "--tolerance 'count=-1': '-1': expected a whole number of events or a percentage"},
      {"count=x%", "--tolerance 'count=x%': 'x%': expected a percentage such as 10%"},
      {"order=sideways", "--tolerance 'order=sideways': order is exact, prefix or off"},
      {"wg.*:order=exact",
       "--tolerance 'wg.*:order=exact': order is one check for the whole comparison, not per kind"},
      {":w1=1s", "--tolerance ':w1=1s': empty kinds before ':'"},
  };
  for (const auto& [rule, message] : bad) {
    auto r = t.add(rule);
    BOOST_TEST_REQUIRE(!r.ok(), rule);
    BOOST_TEST(r.error().message.substr(0, message.size()) == message);
  }
}

BOOST_AUTO_TEST_CASE(the_report_names_every_failure_and_its_json_the_same) {
  const Comparison c = compared(tunnel(0, 25, 1000, 300), tunnel(0, 10, 1000, 300));
  const std::string text = comparison_text(c, {"a.pcap", "b"});
  BOOST_TEST(text.find("A: a.pcap") == 0u);
  BOOST_TEST(text.find("Result: " + std::to_string(c.failures.size()) + " outside their bounds") !=
             std::string::npos);
  for (const std::string& f : c.failures) BOOST_TEST(text.find(f) != std::string::npos, f);
  const std::string json = comparison_json(c, {"a.pcap", "b"});
  BOOST_TEST(json.find("\"pass\": false") != std::string::npos);
  BOOST_TEST(json.find("\"kind\": \"wg.keepalive.initiator\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
