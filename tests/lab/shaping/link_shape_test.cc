// LinkShape from scenario links over the world's defaults, the rate's
// spelling, and the delayer's decisions (DelaySchedule): the simulation's
// jitter distribution, order kept unless reordering is asked, loss at its
// rate, the same decisions for the same seed. No root needed.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "lab/shaping/delay_schedule.h"
#include "lab/shaping/link_shape.h"

namespace tether::lab {
namespace {

BOOST_AUTO_TEST_SUITE(link_shape)

BOOST_AUTO_TEST_CASE(rates_read_as_ns3_reads_them) {
  BOOST_TEST(*parse_rate("50Mbps") == 50'000'000u);
  BOOST_TEST(*parse_rate("1Gbps") == 1'000'000'000u);
  BOOST_TEST(*parse_rate("1.5Mbps") == 1'500'000u);
  BOOST_TEST(*parse_rate("64kbps") == 64'000u);
  BOOST_TEST(*parse_rate("64Kbps") == 64'000u);
  BOOST_TEST(*parse_rate("9600bps") == 9'600u);
  for (const char* bad : {"", "Mbps", "0Mbps", "50", "50MBps", "5x0Mbps", "-1Mbps"}) {
    auto r = parse_rate(bad);
    BOOST_TEST(!r.ok(), bad);
    if (!r.ok()) BOOST_TEST(r.error().message.find("is not a rate") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(scenario_links_over_the_world_defaults) {
  scenario::Scenario s;
  scenario::LinkSpec uplink;
  uplink.a = "gateway", uplink.b = "internet", uplink.delay = Duration::milliseconds(25), uplink.loss = 0.02;
  scenario::LinkSpec lte;
  lte.a = "gateway", lte.b = "internet", lte.lte = true, lte.reorder = true;
  scenario::LinkSpec relay;
  relay.a = "vm", relay.b = "internet", relay.rate = "20Mbps", relay.jitter = Duration::milliseconds(3);
  s.links = {uplink, lte, relay};

  const LinkShape u = *link_shape_for(s, "uplink");
  BOOST_TEST(u.delay.ns() == Duration::milliseconds(25).ns());
  BOOST_TEST(u.rate_bps == 50'000'000u);  // the uplink's default rate stays
  BOOST_TEST(u.loss == 0.02);
  const LinkShape l = *link_shape_for(s, "lte");
  BOOST_TEST(l.delay.ns() == Duration::milliseconds(130).ns());
  BOOST_TEST(l.jitter.ns() == Duration::milliseconds(12).ns());
  BOOST_TEST(l.reorder);
  const LinkShape v = *link_shape_for(s, "vm");
  BOOST_TEST(v.rate_bps == 20'000'000u);
  BOOST_TEST(v.delay.ns() == Duration::milliseconds(5).ns());
  BOOST_TEST(v.jitter.ns() == Duration::milliseconds(3).ns());
  const LinkShape lan = *link_shape_for(s, "lan");  // not in the scenario: the default
  BOOST_TEST(lan.rate_bps == 1'000'000'000u);
  BOOST_TEST(lan.delay.ns() == Duration::milliseconds(1).ns());
  BOOST_TEST(!lan.reorder);

  s.links[2].rate = "fast";
  s.links[2].line = 17;
  auto bad = link_shape_for(s, "vm");
  BOOST_TEST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().message.find("line 17") != std::string::npos);
}

// Delays (ms) the schedule gives `n` packets admitted `spacing` apart.
std::vector<double> delays(const LinkShape& shape, std::uint64_t seed, int n, Duration spacing, int* lost = nullptr) {
  DelaySchedule schedule(shape, seed);
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    const Time now = Time::from_ns(1'000'000'000 + std::int64_t(i) * spacing.ns());
    const PacketDecision d = schedule.admit(now);
    if (d.drop) {
      if (lost) ++*lost;
      continue;
    }
    out.push_back(double((d.due - now).ns()) / 1e6);
  }
  return out;
}

BOOST_AUTO_TEST_CASE(jitter_is_the_simulations_cut_normal) {
  LinkShape shape;
  shape.delay = Duration::milliseconds(100), shape.jitter = Duration::milliseconds(10), shape.reorder = true;
  const auto d = delays(shape, 7, 20000, Duration::milliseconds(1));
  double sum = 0, squares = 0;
  for (double x : d) sum += x;
  const double mean = sum / double(d.size());
  for (double x : d) squares += (x - mean) * (x - mean);
  const double sd = std::sqrt(squares / double(d.size() - 1));
  // A standard normal cut at +-3 has std-dev 0.9865; 20000 draws put the
  // mean within 0.07 ms (1 SE) and the std-dev within 0.05 ms.
  BOOST_TEST(std::fabs(mean - 100) < 0.4);
  BOOST_TEST(std::fabs(sd - 9.865) < 0.3);
  BOOST_TEST(*std::min_element(d.begin(), d.end()) >= 70.0);
  BOOST_TEST(*std::max_element(d.begin(), d.end()) <= 130.0);
  // Reordering allowed and 1 ms apart with 10 ms of jitter: due times cross.
  std::size_t crossings = 0;
  for (std::size_t i = 1; i < d.size(); ++i) crossings += d[i] + 1.0 < d[i - 1];
  BOOST_TEST(crossings > d.size() / 4);
}

BOOST_AUTO_TEST_CASE(in_order_unless_reordering_is_asked) {
  LinkShape shape;
  shape.delay = Duration::milliseconds(100), shape.jitter = Duration::milliseconds(10);
  const auto d = delays(shape, 7, 5000, Duration::milliseconds(1));
  for (std::size_t i = 1; i < d.size(); ++i) BOOST_TEST_REQUIRE(d[i] + 1.0 >= d[i - 1]);  // due(i) >= due(i-1)
  // Never earlier than the packet's own draw: the same seed reordering-allowed
  // gives each packet's draw, and in order it is the running maximum.
  shape.reorder = true;
  const auto drawn = delays(shape, 7, 5000, Duration::milliseconds(1));
  for (std::size_t i = 0; i < d.size(); ++i) BOOST_TEST_REQUIRE(d[i] >= drawn[i] - 1e-6);
}

BOOST_AUTO_TEST_CASE(loss_at_its_rate_and_the_same_for_the_same_seed) {
  LinkShape shape;
  shape.loss = 0.1;
  int lost = 0;
  delays(shape, 3, 20000, Duration::microseconds(10), &lost);
  // Binomial(20000, 0.1): sd 42; 5 sd either side.
  BOOST_TEST(std::abs(lost - 2000) < 5 * 43);
  shape.delay = Duration::milliseconds(30), shape.jitter = Duration::milliseconds(5);
  int lost_a = 0, lost_b = 0, lost_c = 0;
  const auto a = delays(shape, 11, 1000, Duration::milliseconds(1), &lost_a);
  const auto b = delays(shape, 11, 1000, Duration::milliseconds(1), &lost_b);
  const auto c = delays(shape, 12, 1000, Duration::milliseconds(1), &lost_c);
  BOOST_TEST(a == b);
  BOOST_TEST(lost_a == lost_b);
  BOOST_TEST(a != c);
}

BOOST_AUTO_TEST_CASE(summaries_name_the_shape) {
  LinkShape shape;
  shape.delay = Duration::milliseconds(25), shape.jitter = Duration::milliseconds(2), shape.loss = 0.01, shape.rate_bps = 50'000'000;
  BOOST_TEST(shape.summary() == "25ms+-2ms in order loss 1% 50Mbit/s");
  BOOST_TEST(shape.needs_delayer());
  LinkShape rate_only;
  rate_only.rate_bps = 1000;
  BOOST_TEST(!rate_only.needs_delayer());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
