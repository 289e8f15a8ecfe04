#pragma once
// A small world for the world models' tests: a home host on a LAN behind a
// NAT router (or straight on the ISP line), the NAT's uplink to an ISP
// router (optionally a 4G uplink too), and two servers behind the ISP
// router, "relay" and "other", with Ns3Hosts on the home and the servers:
//
//   home 192.168.1.10 --LAN-- 192.168.1.1 [gw] --uplink-- [isp] --+-- relay 203.0.113.10
//                                          \\--4G (opt.)--/      +-- other 198.18.0.10
//
// The uplink's public address comes from the ISP's pool 198.51.100.100-109,
// the 4G uplink's from 192.0.2.100-109. The ISP router's default route
// points at "other" (an upstream), which routes everything back: without
// the ISP's null route, packets to an unassigned pool address would loop.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ns3/ipv4-address.h>
#include <ns3/node.h>

#include "sim/world/isp.h"
#include "sim/world/nat.h"
#include "sim/host/ns3_host.h"
#include "sim/world/point_to_point_link.h"
#include "sim/host/sim_host_fixture.h"
#include "sim/world/uplink_failover.h"

namespace tether::testing {

struct WorldOptions {
  std::uint64_t seed = 1;
  bool with_nat = true;
  bool with_lte = false;
  sim::NatConfig nat;
  sim::LinkConfig lan{"1Gbps", Duration::milliseconds(1)};
  sim::LinkConfig uplink{"50Mbps", Duration::milliseconds(10)};
  sim::LinkConfig lte = sim::LinkConfig::lte();
  sim::LinkConfig servers{"1Gbps", Duration::milliseconds(5)};
  Duration isp_change_every = Duration::zero();
  sim::UplinkFailoverConfig failover;
};

inline const IpAddress kHomeLan = *IpAddress::parse("192.168.1.10");
inline const IpAddress kRelay = *IpAddress::parse("203.0.113.10");
inline const IpAddress kOther = *IpAddress::parse("198.18.0.10");

struct World {
  explicit World(WorldOptions options = {});
  ~World();

  // The home's public address now (the NAT's uplink, or the home host's).
  IpAddress public_address() const;
  IpAddress lte_address() const;

  bool run_until(const std::function<bool()>& done, Duration limit) { return SimulationRun::run_until(done, limit); }
  void run_for(Duration span) { SimulationRun::run_for(span); }
  static Time now() { return sim::NodeLoop::now(); }

  WorldOptions options;
  SimulationRun run;
  TempDirectory dir;
  ns3::Ptr<ns3::Node> home, gateway, isp, relay, other;
  sim::PointToPointLink lan_link, uplink, lte_link, relay_link, other_link;
  std::uint32_t gateway_wan = 0, gateway_lte = 0;
  std::unique_ptr<sim::Nat> nat;
  std::unique_ptr<sim::Isp> isp_line, lte_line;
  std::unique_ptr<sim::UplinkFailover> failover;
  std::unique_ptr<sim::Ns3Host> home_host, relay_host, other_host;
  std::vector<sim::NatEvent> nat_events;
};

// A UDP echo service: answers every datagram to its sender and remembers
// who sent what.
struct UdpEcho {
  struct Seen {
    Endpoint from;
    std::string payload;
    Time at;
  };
  UdpEcho(Host& host, std::uint16_t port, IpAddress::Family family = IpAddress::Family::v4);
  std::unique_ptr<UdpSocket> socket;
  std::vector<Seen> seen;
  bool answer = true;
};

// A UDP client that remembers what came back.
struct UdpClient {
  struct Got {
    Endpoint from;
    std::string payload;
    Time at;
  };
  UdpClient(Host& host, std::uint16_t port, IpAddress::Family family = IpAddress::Family::v4);
  void send(const Endpoint& to, const std::string& payload);
  std::unique_ptr<UdpSocket> socket;
  std::vector<Got> got;
};

std::string why(const Error& e);

}  // namespace tether::testing
