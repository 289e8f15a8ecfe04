// Captures stamped with the world's wall clock: the same records as ns-3's
// own point-to-point pcap, each timestamp moved by exactly the epoch.

#include <boost/test/unit_test.hpp>

#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/node-container.h>
#include <ns3/point-to-point-helper.h>

#include "sim/world/pcap_records.h"
#include "sim/world/point_to_point_link.h"
#include "sim/world/wall_clock_pcap.h"
#include "sim/world/world_fixture.h"

using namespace tether;
using namespace tether::testing;

namespace {

const Endpoint kB = *Endpoint::parse("10.0.0.2:9000");
// 2031-03-04T05:06:07.250Z: not a whole second, so the microseconds carry too.
const WallTime kEpoch = WallTime::from_unix_ns(1930367167'250'000'000);

}  // namespace

BOOST_AUTO_TEST_SUITE(wall_clock_pcap)

BOOST_AUTO_TEST_CASE(records_are_stamped_epoch_plus_simulated_time) {
  TempDirectory dir("tether-wall-clock-pcap");
  const auto stock = dir.path() / "stock.pcap", at_epoch = dir.path() / "epoch.pcap";
  std::vector<Time> sent;
  {
    SimulationRun run;
    TempDirectory storage;
    ns3::NodeContainer nodes;
    nodes.Create(2);
    sim::PointToPointLink link =
        sim::build_point_to_point_link(nodes.Get(0), nodes.Get(1), {"10Mbps", Duration::milliseconds(3)}, 7);
    ns3::InternetStackHelper internet;
    internet.Install(nodes);
    ns3::Ipv4AddressHelper addresses;
    addresses.SetBase("10.0.0.0", "255.255.255.0");
    addresses.Assign(link.devices);
    ns3::PointToPointHelper().EnablePcap(stock.string(), link.device(0), false, true);
    BOOST_TEST_REQUIRE(sim::capture_at_wall_clock(link.device(0), at_epoch, kEpoch).ok());
    SimulationRun::boot();
    auto a = std::move(sim::Ns3Host::create(nodes.Get(0), test_host_options(storage, "a")).value());
    auto b = std::move(sim::Ns3Host::create(nodes.Get(1), test_host_options(storage, "b")).value());
    {
      UdpClient from(*a, 9000), to(*b, 9000);
      for (Duration wait : {Duration::milliseconds(1500), Duration::milliseconds(750), Duration::seconds(90)}) {
        SimulationRun::run_for(wait);
        sent.push_back(World::now());
        from.send(kB, "stamp me");
      }
      SimulationRun::run_for(Duration::seconds(1));
      BOOST_TEST_REQUIRE(to.got.size() == 3u);
    }
    a.reset();
    b.reset();
  }  // the simulation's end closes both files

  auto plain = read_pcap(stock), stamped = read_pcap(at_epoch);
  BOOST_TEST_REQUIRE(plain.ok(), (plain.ok() ? "" : plain.error().to_string()));
  BOOST_TEST_REQUIRE(stamped.ok(), (stamped.ok() ? "" : stamped.error().to_string()));
  BOOST_TEST(stamped->link_type == 9u);  // DLT_PPP, as ns-3's own
  BOOST_TEST(stamped->link_type == plain->link_type);
  BOOST_TEST_REQUIRE(stamped->records.size() == 3u);
  BOOST_TEST_REQUIRE(plain->records.size() == stamped->records.size());
  for (std::size_t i = 0; i < stamped->records.size(); ++i) {
    BOOST_TEST_CONTEXT("record " << i) {
      const PcapRecord &p = plain->records[i], &s = stamped->records[i];
      BOOST_TEST((s.data == p.data));
      BOOST_TEST(s.original_length == p.original_length);
      // ns-3's own capture counts from simulated time 0: the datagram leaves
      // when it is sent, the link being idle.
      BOOST_TEST(p.unix_us() == (sent[i] - Time::zero()).ns() / 1000);
      BOOST_TEST(s.unix_us() == kEpoch.unix_ns() / 1000 + p.unix_us());
    }
  }
  // The first one, spelled out: 2031-03-04T05:06:07.250Z + 1.5 s.
  BOOST_TEST(stamped->records[0].seconds == 1930367168u);
  BOOST_TEST(stamped->records[0].microseconds == 750'000u);
}

BOOST_AUTO_TEST_SUITE_END()
