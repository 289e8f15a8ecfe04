// Links: loss, jitter (in order unless asked, seeded), the 4G preset's
// round trip against the seed's pings, outages that blackhole both
// directions for exactly the down period, and the home's failover to a 4G
// uplink and back.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/node-container.h>

#include "sim/host/ns3_address.h"
#include "sim/world/point_to_point_link.h"
#include "sim/world/world_fixture.h"

using namespace tether;
using namespace tether::testing;

namespace {

// Two nodes on one link, 10.0.0.1 and 10.0.0.2, each with a UDP socket on
// port 9000.
struct LinkPair {
  SimulationRun run;
  TempDirectory dir;
  ns3::NodeContainer nodes;
  sim::PointToPointLink link;
  std::unique_ptr<sim::Ns3Host> a, b;
  std::unique_ptr<UdpClient> a_socket, b_socket;

  explicit LinkPair(const sim::LinkConfig& config, std::int64_t stream = 7) {
    nodes.Create(2);
    link = sim::build_point_to_point_link(nodes.Get(0), nodes.Get(1), config, stream);
    ns3::InternetStackHelper internet;
    internet.Install(nodes);
    internet.AssignStreams(nodes, 0);
    ns3::Ipv4AddressHelper addresses;
    addresses.SetBase("10.0.0.0", "255.255.255.0");
    addresses.Assign(link.devices);
    SimulationRun::boot();
    a = std::move(sim::Ns3Host::create(nodes.Get(0), test_host_options(dir, "a")).value());
    b = std::move(sim::Ns3Host::create(nodes.Get(1), test_host_options(dir, "b")).value());
    a_socket = std::make_unique<UdpClient>(*a, 9000);
    b_socket = std::make_unique<UdpClient>(*b, 9000);
  }
  ~LinkPair() {
    a_socket.reset();
    b_socket.reset();
    a.reset();
    b.reset();
  }
};

const Endpoint kA = *Endpoint::parse("10.0.0.1:9000");
const Endpoint kB = *Endpoint::parse("10.0.0.2:9000");

}  // namespace

BOOST_AUTO_TEST_SUITE(links)

BOOST_AUTO_TEST_CASE(an_outage_blackholes_both_ways_for_exactly_the_down_period) {
  LinkPair p({"10Mbps", Duration::milliseconds(10)});
  std::vector<std::pair<Time, bool>> changes;
  p.link.outage->add_state_handler([&](bool up) { changes.emplace_back(World::now(), up); });
  const Time down_at = Time::zero() + Duration::seconds(1), up_at = Time::zero() + Duration::seconds(2);
  p.link.outage->schedule_outage(down_at - World::now(), up_at - down_at);

  // Every 5 ms, each side sends its sequence number.
  std::map<std::string, Time> sent;
  for (int i = 0; i < 600; ++i) {
    const std::string seq = std::to_string(i);
    sent[seq] = World::now();
    p.a_socket->send(kB, seq);
    p.b_socket->send(kA, seq);
    SimulationRun::run_for(Duration::milliseconds(5));
  }
  SimulationRun::run_for(Duration::milliseconds(100));

  BOOST_TEST_REQUIRE(changes.size() == 2u);
  BOOST_TEST(changes[0].first == down_at);
  BOOST_TEST(!changes[0].second);
  BOOST_TEST(changes[1].first == up_at);
  BOOST_TEST(changes[1].second);
  BOOST_TEST(p.link.outage->total_down_time() == Duration::seconds(1));
  BOOST_TEST(p.link.outage->outages() == 1u);

  std::size_t lost_total = 0;
  for (UdpClient* receiver : {p.b_socket.get(), p.a_socket.get()}) {
    std::map<std::string, Time> arrived;
    for (const auto& g : receiver->got) arrived[g.payload] = g.at;
    for (const auto& [seq, at] : sent) {
      // Delay, plus the frame (payload, UDP, IPv4, PPP) at 10 Mbit/s.
      const Time due = at + Duration::milliseconds(10) + Duration::nanoseconds(800 * std::int64_t(seq.size() + 30));
      const bool during_outage = due >= down_at && due < up_at;
      BOOST_TEST_CONTEXT("seq " << seq << " due " << due) {
        BOOST_TEST(arrived.count(seq) == std::size_t(!during_outage));
        if (arrived.count(seq)) BOOST_TEST(arrived.at(seq) == due);
      }
      lost_total += during_outage;
    }
  }
  BOOST_TEST(lost_total == 2u * 200u);
  BOOST_TEST(p.link.outage->blackholed_packets() == lost_total);
  BOOST_TEST(p.link.outage->lost_packets() == 0u);
}

BOOST_AUTO_TEST_CASE(scheduled_flaps_repeat_and_stop_after_their_count) {
  LinkPair p({"10Mbps", Duration::milliseconds(10)});
  std::vector<std::pair<Time, bool>> changes;
  p.link.outage->add_state_handler([&](bool up) { changes.emplace_back(World::now(), up); });
  // Down for 2 s every 10 s, from 5 s on, three times.
  p.link.outage->schedule_flaps(Duration::seconds(5), Duration::seconds(10), Duration::seconds(2), 3);
  SimulationRun::run_for(Duration::seconds(60));
  BOOST_TEST(p.link.outage->outages() == 3u);
  BOOST_TEST(p.link.outage->total_down_time() == Duration::seconds(6));
  BOOST_TEST(!p.link.outage->is_down());
  BOOST_TEST_REQUIRE(changes.size() == 6u);
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(changes[2 * i].first == Time::zero() + Duration::seconds(5 + 10 * i));
    BOOST_TEST(changes[2 * i + 1].first == Time::zero() + Duration::seconds(7 + 10 * i));
  }
}

BOOST_AUTO_TEST_CASE(random_loss_is_per_packet_and_repeats_with_the_stream) {
  auto lost = [](std::int64_t stream) {
    sim::LinkConfig config{"10Mbps", Duration::milliseconds(2)};
    config.loss = 0.1;
    LinkPair p(config, stream);
    for (int i = 0; i < 2000; ++i) {
      p.a_socket->send(kB, std::to_string(i));
      SimulationRun::run_for(Duration::milliseconds(1));
    }
    SimulationRun::run_for(Duration::milliseconds(50));
    std::set<std::string> arrived;
    for (const auto& g : p.b_socket->got) arrived.insert(g.payload);
    std::vector<int> missing;
    for (int i = 0; i < 2000; ++i)
      if (!arrived.count(std::to_string(i))) missing.push_back(i);
    BOOST_TEST(p.link.outage->lost_packets() == missing.size());
    return missing;
  };
  const auto first = lost(7);
  BOOST_TEST(first.size() > 140u);
  BOOST_TEST(first.size() < 260u);
  BOOST_TEST(lost(7) == first, boost::test_tools::per_element());
  BOOST_TEST((lost(9) != first));
}

namespace {

// One packet a millisecond from a to b, `count` of them; each one's one-way
// delay in arrival order, and whether they arrived in the order sent.
struct OneWay {
  std::vector<double> delay_ms;
  bool in_order = true;
};

OneWay send_burst(const sim::LinkConfig& config, std::int64_t stream, int count) {
  LinkPair p(config, stream);
  std::vector<Time> sent;
  for (int i = 0; i < count; ++i) {
    sent.push_back(World::now());
    p.a_socket->send(kB, std::to_string(i));
    SimulationRun::run_for(Duration::milliseconds(1));
  }
  SimulationRun::run_for(Duration::seconds(1));
  OneWay out;
  int last = -1;
  for (const auto& g : p.b_socket->got) {
    const int seq = std::stoi(g.payload);
    if (seq < last) out.in_order = false;
    last = std::max(last, seq);
    out.delay_ms.push_back(double((g.at - sent[std::size_t(seq)]).ns()) / 1e6);
  }
  return out;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / double(v.size());
}

double stddev_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double sum = 0;
  for (double x : v) sum += (x - m) * (x - m);
  return std::sqrt(sum / double(v.size() - 1));
}

}  // namespace

BOOST_AUTO_TEST_CASE(jitter_varies_each_delay_keeps_order_unless_asked_and_repeats_with_the_stream) {
  sim::LinkConfig config{"100Mbps", Duration::milliseconds(20)};
  config.jitter = Duration::milliseconds(5);
  const OneWay first = send_burst(config, 7, 2000);
  BOOST_TEST_REQUIRE(first.delay_ms.size() == 2000u);
  // In order: a packet drawn shorter than the one before waits for it. At
  // one packet a millisecond, five times closer than the jitter, that adds
  // a few ms to the mean (24.6 measured).
  BOOST_TEST(first.in_order);
  BOOST_TEST(mean_of(first.delay_ms) > 21.0);
  BOOST_TEST(mean_of(first.delay_ms) < 27.0);
  BOOST_TEST(stddev_of(first.delay_ms) > 3.0);
  // Never below zero, never past three std-devs (and the frame's time).
  BOOST_TEST(*std::min_element(first.delay_ms.begin(), first.delay_ms.end()) >= 5.0);
  BOOST_TEST(*std::max_element(first.delay_ms.begin(), first.delay_ms.end()) <= 35.1);
  // Same stream, same delays; another stream, others.
  BOOST_TEST(send_burst(config, 7, 2000).delay_ms == first.delay_ms, boost::test_tools::per_element());
  BOOST_TEST((send_burst(config, 9, 2000).delay_ms != first.delay_ms));

  // With reorder, each packet keeps its own draw: the mean is the delay's,
  // the spread the jitter's, and packets overtake each other.
  config.reorder = true;
  const OneWay free = send_burst(config, 7, 2000);
  BOOST_TEST_REQUIRE(free.delay_ms.size() == 2000u);
  BOOST_TEST(!free.in_order);
  BOOST_TEST(std::abs(mean_of(free.delay_ms) - 20.0) < 0.5);
  BOOST_TEST(std::abs(stddev_of(free.delay_ms) - 5.0) < 0.5);

  // A delay too small for its jitter is cut at zero, never negative.
  config.delay = Duration::milliseconds(1);
  const OneWay cut = send_burst(config, 7, 500);
  BOOST_TEST(*std::min_element(cut.delay_ms.begin(), cut.delay_ms.end()) >= 0.0);
}

// The 4G preset against the seed's pings over 4G (smtp-over-ipsec.txt):
// round trips 270.8/283.2/312.6 and 250.5/259.9/284.2 ms min/avg/max,
// std-dev 17.3 and 14.1 ms, 271.6 ms on average. A ping's request and
// reply cross the link in opposite directions: each round trip here is one
// packet each way sent at the same moment, a second apart as ping sends.
// Over the scenario world's path, the LAN and the VM's link add 12 ms.
BOOST_AUTO_TEST_CASE(pings_over_the_default_4g_link_have_the_seeds_round_trip) {
  LinkPair p(sim::LinkConfig::lte(), 11);
  std::vector<Time> sent;
  const int kPings = 600;
  for (int i = 0; i < kPings; ++i) {
    sent.push_back(World::now());
    p.a_socket->send(kB, std::to_string(i));
    p.b_socket->send(kA, std::to_string(i));
    SimulationRun::run_for(Duration::seconds(1));
  }
  std::map<std::string, Time> there, back;
  for (const auto& g : p.b_socket->got) there[g.payload] = g.at;
  for (const auto& g : p.a_socket->got) back[g.payload] = g.at;
  std::vector<double> rtt_ms;
  for (int i = 0; i < kPings; ++i) {
    const std::string seq = std::to_string(i);
    BOOST_TEST_REQUIRE(there.count(seq) + back.count(seq) == 2u);
    rtt_ms.push_back(double(((there[seq] - sent[std::size_t(i)]) + (back[seq] - sent[std::size_t(i)])).ns()) / 1e6);
  }
  const double path_ms = 12.0;  // the rest of the seed's path in the scenario world
  const double mean = mean_of(rtt_ms) + path_ms, spread = stddev_of(rtt_ms);
  BOOST_TEST_MESSAGE("4G round trip over the world's path: mean " << mean << " ms, std-dev " << spread << " ms");
  // 600 round trips: the mean's standard error is 0.7 ms, the std-dev's 0.5.
  BOOST_TEST(std::abs(mean - 271.6) < 3.0, mean);
  BOOST_TEST(std::abs(spread - 17.3) < 2.0, spread);
  // Every round trip the seed measured lies within what the link gives.
  const auto [lo, hi] = std::minmax_element(rtt_ms.begin(), rtt_ms.end());
  BOOST_TEST(*lo + path_ms < 250.5);
  BOOST_TEST(*hi + path_ms > 312.6);
}

BOOST_AUTO_TEST_CASE(the_home_fails_over_to_4g_and_back) {
  WorldOptions options;
  options.with_lte = true;
  options.failover.detect_down = Duration::seconds(10);
  options.failover.detect_up = Duration::seconds(10);
  World w(options);
  BOOST_TEST(!w.failover->on_backup());
  std::vector<std::pair<Time, bool>> switches;
  w.failover->add_switch_handler([&](bool to_backup) { switches.emplace_back(World::now(), to_backup); });
  UdpEcho echo(*w.relay_host, 7);
  UdpClient client(*w.home_host, 40000);
  const Time start = World::now();
  // The line is down from 20 s to 80 s.
  w.uplink.outage->schedule_outage(Duration::seconds(20), Duration::seconds(60));

  // One probe a second, half a second off the whole seconds.
  std::map<std::string, Time> sent;
  w.run_for(Duration::milliseconds(500));
  for (int i = 0; i < 120; ++i) {
    const std::string seq = std::to_string(i);
    sent[seq] = World::now();
    client.send(Endpoint(kRelay, 7), seq);
    w.run_for(Duration::seconds(1));
  }
  std::map<std::string, Duration> rtt;
  for (const auto& g : client.got) rtt[g.payload] = g.at - sent.at(g.payload);
  std::map<std::string, Endpoint> seen_from;
  for (const auto& s : echo.seen) seen_from[s.payload] = s.from;

  const IpAddress main_address = w.public_address(), lte_address = w.lte_address();
  BOOST_TEST(main_address != lte_address);
  for (int i = 0; i < 120; ++i) {
    const std::string seq = std::to_string(i);
    BOOST_TEST_CONTEXT("probe " << i) {
      if (i < 20 || i >= 90) {
        // The wired line: 2 x (1 + 10 + 5) ms and serialisation.
        BOOST_TEST_REQUIRE(rtt.count(seq) == 1u);
        BOOST_TEST(rtt.at(seq) < Duration::milliseconds(40));
        BOOST_TEST(seen_from.at(seq) == Endpoint(main_address, 40000));
      } else if (i < 30) {
        // Down and not yet noticed: lost.
        BOOST_TEST(rtt.count(seq) == 0u);
      } else {
        // On 4G, until 10 s after the line is back: 2 x (1 + 130 + 5) ms,
        // each 4G crossing jittered by up to three std-devs (36 ms).
        BOOST_TEST_REQUIRE(rtt.count(seq) == 1u);
        BOOST_TEST(rtt.at(seq) >= Duration::milliseconds(272 - 72));
        BOOST_TEST(rtt.at(seq) <= Duration::milliseconds(272 + 72 + 2));
        BOOST_TEST(seen_from.at(seq) == Endpoint(lte_address, 40000));
      }
    }
  }
  BOOST_TEST_REQUIRE(switches.size() == 2u);
  BOOST_TEST(switches[0].first - start == Duration::seconds(30));
  BOOST_TEST(switches[0].second);
  BOOST_TEST(switches[1].first - start == Duration::seconds(90));
  BOOST_TEST(!switches[1].second);
  BOOST_TEST(!w.failover->on_backup());
  // Each switch cost the mappings of the uplink left behind.
  std::size_t uplink_flushes = 0;
  for (const auto& e : w.nat_events)
    uplink_flushes += e.kind == sim::NatEventKind::mapping_flushed && e.cause == sim::NatFlushCause::uplink_change;
  BOOST_TEST(uplink_flushes == 2u);
}

BOOST_AUTO_TEST_CASE(a_flap_shorter_than_detection_does_not_switch) {
  WorldOptions options;
  options.with_lte = true;
  World w(options);
  w.uplink.outage->schedule_outage(Duration::seconds(5), Duration::seconds(5));
  w.run_for(Duration::seconds(30));
  BOOST_TEST(w.failover->switches() == 0u);
  BOOST_TEST(!w.failover->on_backup());
}

BOOST_AUTO_TEST_SUITE_END()
