#pragma once
// An ISP's access side for one customer line: the public IPv4 address of the
// home's uplink (on the NAT's WAN interface, or on a home host that has no
// NAT) comes from the ISP's pool and changes on a schedule (the 24 h forced
// reconnect of many DSL/cable ISPs) or at an event. A change is what a real
// reconnect does:
//
// - the customer interface drops the old address and gets the new one
//   (routes through it, the default route first, are kept);
// - the NAT on it, if any, loses its mappings on that uplink (it rebooted
//   its PPP/DHCP session; the old address is gone anyway);
// - the ISP router routes the new address down the customer's line, and
//   blackholes the old one: packets to it vanish at the ISP (no ICMP), as
//   for any unassigned address of the pool.
//
// IPv4 here; the home's delegated IPv6 prefix and its changes are
// IspPrefix (isp_prefix.h).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <ns3/ipv4-address.h>
#include <ns3/node.h>

#include "core/error.h"
#include "sim/world/blackhole_routing.h"
#include "sim/host/node_loop.h"
#include "sim/host/seeded_random.h"

namespace tether::sim {

class Nat;

struct IspLine {
  ns3::Ptr<ns3::Node> router;
  std::uint32_t router_interface = 0;  // the router's side of the customer's line
  ns3::Ptr<ns3::Node> customer;
  std::uint32_t customer_interface = 0;
  // The NAT whose uplink this is; null for a home host without NAT.
  Nat* nat = nullptr;
};

struct IspConfig {
  // Addresses the ISP hands out; at least two for changes to change anything.
  std::vector<ns3::Ipv4Address> pool;
  // The customer interface's prefix length (a PPP line: /32).
  ns3::Ipv4Mask customer_mask = ns3::Ipv4Mask::GetOnes();
  // The next hop of the customer's default route: the router's address on
  // the line. Any address works on a point-to-point line.
  ns3::Ipv4Address gateway;
  // Set the customer's default route through the line. Off when an
  // UplinkFailover decides which uplink carries it.
  bool set_default_route = true;
  // The first address; unset: drawn from the pool.
  std::optional<ns3::Ipv4Address> initial_address;
  // Periodic change: every `change_every` (zero: never), the first after
  // `first_change` (unset: after `change_every`).
  Duration change_every = Duration::zero();
  std::optional<Duration> first_change;
  // Draws come from SeededRandom(seed, random_stream); unset stream:
  // derived from the customer node's id.
  std::uint64_t seed = 1;
  std::optional<std::uint64_t> random_stream;
};

class Isp {
 public:
  using ChangeHandler = std::function<void(ns3::Ipv4Address old_address, ns3::Ipv4Address new_address)>;

  // Gives the customer its first address and sets up the routes. Build the
  // topology (stacks, devices) first; no simulated time needs to have run.
  static Result<std::unique_ptr<Isp>> create(IspLine line, IspConfig config);
  ~Isp();
  Isp(const Isp&) = delete;
  Isp& operator=(const Isp&) = delete;

  ns3::Ipv4Address address() const { return address_; }
  // Moves the customer to `to`, or to an address drawn from the pool other
  // than the current one. Handlers run after the change. Returns the new
  // address.
  ns3::Ipv4Address change_address(std::optional<ns3::Ipv4Address> to = std::nullopt);
  std::uint64_t changes() const { return changes_; }

  void add_change_handler(ChangeHandler handler) { handlers_.push_back(std::move(handler)); }
  const IspLine& line() const { return line_; }

 private:
  Isp(IspLine line, IspConfig config, ns3::Ptr<BlackholeRouting> blackhole);
  void assign(ns3::Ipv4Address address);
  ns3::Ipv4Address draw_other_address();
  void schedule_change(Duration delay);

  IspLine line_;
  IspConfig config_;
  ns3::Ptr<BlackholeRouting> blackhole_;
  SeededRandom random_;
  NodeLoop loop_;
  ns3::Ipv4Address address_;
  std::uint64_t changes_ = 0;
  std::vector<ChangeHandler> handlers_;
  NodeLoop::Event next_change_;
};

}  // namespace tether::sim
