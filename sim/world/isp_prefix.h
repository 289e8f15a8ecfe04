#pragma once
// An ISP's IPv6 prefix delegation for one customer line: the home is given
// a prefix (a /56 or /64, DHCPv6-PD style) from the ISP's pool, and its
// hosts' addresses are that prefix, a /64 subnet of it, and each host's own
// interface id. Like the IPv4 address (isp.h) it changes on a schedule or at
// an event, and a change does what a real renumbering does:
//
// - every site (a host's interface numbered from the prefix) drops its old
//   address and gets the new one with the same subnet and interface id; its
//   default route through the line is kept, the on-link route follows the
//   address;
// - the ISP router routes the new prefix down the line and blackholes the
//   old one (Ipv6BlackholeRouting): packets to old addresses vanish there.
//
// IPv6 has no NAT: the home's addresses are public and reachable as they
// are. Home routers usually run a stateful firewall that drops unsolicited
// inbound traffic; that is not modelled here (everything routed reaches the
// host), which is the firewall-off case. For WireGuard it changes nothing
// once the home has sent first, which it must anyway (the relay learns the
// home's address only from an authenticated packet).
//
// Sockets bound to the wildcard address send from the new address at once
// (ns-3 picks the source from the interface); a peer learns it from the
// next packet, as on Linux with a renumbered interface.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <ns3/ipv6-address.h>
#include <ns3/node.h>

#include "core/error.h"
#include "core/endpoint.h"
#include "sim/world/blackhole_routing.h"
#include "sim/host/node_loop.h"
#include "sim/host/seeded_random.h"

namespace tether::sim {

// The customer's line: the ISP router routes the delegated prefix to the
// customer's end of it (its link-local address), and the customer's default
// route goes back up it.
struct PrefixLine {
  ns3::Ptr<ns3::Node> router;
  std::uint32_t router_interface = 0;
  ns3::Ptr<ns3::Node> customer;  // the home router, or a host on the line
  std::uint32_t customer_interface = 0;
  bool set_default_route = true;
};

// One host interface numbered from the delegated prefix: the home router's
// LAN side, a host on the LAN, or the customer's line interface itself.
struct PrefixSite {
  ns3::Ptr<ns3::Node> node;
  std::uint32_t interface = 0;
  std::uint16_t subnet = 0;         // which /64 of the delegated prefix
  std::uint64_t interface_id = 1;   // the low 64 bits, kept across changes
  // A host behind the home router: its default route goes to this node's
  // interface (the router's link-local address on the LAN). Null: none.
  ns3::Ptr<ns3::Node> via;
  std::uint32_t via_interface = 0;
};

struct IspPrefixConfig {
  std::vector<IpPrefix> pool;  // the ISP's prefixes for the line, one length (/48../64)
  std::optional<IpPrefix> initial;  // unset: drawn from the pool
  Duration change_every = Duration::zero();  // zero: never
  std::optional<Duration> first_change;
  std::uint64_t seed = 1;
  std::optional<std::uint64_t> random_stream;
};

// The node's IPv6 interface on `device`, added if it has none yet, and up:
// how a topology gives a link IPv6 before numbering it.
std::uint32_t ipv6_interface(const ns3::Ptr<ns3::Node>& node, const ns3::Ptr<ns3::NetDevice>& device);

class IspPrefix {
 public:
  using ChangeHandler = std::function<void(const IpPrefix& old_prefix, const IpPrefix& new_prefix)>;

  // Nodes need IPv6 stacks: list routing on the router (the null route
  // sits above static routing), static routing on the others. Forwarding
  // on the router and the home router is the topology's to switch on.
  static Result<std::unique_ptr<IspPrefix>> create(PrefixLine line, std::vector<PrefixSite> sites,
                                                   IspPrefixConfig config);
  ~IspPrefix();
  IspPrefix(const IspPrefix&) = delete;
  IspPrefix& operator=(const IspPrefix&) = delete;

  const IpPrefix& prefix() const { return prefix_; }
  // A site's address under the current prefix.
  IpAddress address(std::size_t site) const { return address_in(prefix_, sites_.at(site)); }
  IpAddress address_in(const IpPrefix& prefix, const PrefixSite& site) const;
  // Moves the line to `to`, or to a prefix drawn from the pool other than
  // the current one. Handlers run after the change. Returns the new prefix.
  IpPrefix change_prefix(std::optional<IpPrefix> to = std::nullopt);
  std::uint64_t changes() const { return changes_; }
  void add_change_handler(ChangeHandler handler) { handlers_.push_back(std::move(handler)); }
  ns3::Ptr<Ipv6BlackholeRouting> blackhole() const { return blackhole_; }

 private:
  IspPrefix(PrefixLine line, std::vector<PrefixSite> sites, IspPrefixConfig config,
            ns3::Ptr<Ipv6BlackholeRouting> blackhole);
  void assign(const IpPrefix& prefix);
  IpPrefix draw(bool other_than_current);
  void schedule_change(Duration delay);

  PrefixLine line_;
  std::vector<PrefixSite> sites_;
  IspPrefixConfig config_;
  ns3::Ptr<Ipv6BlackholeRouting> blackhole_;
  SeededRandom random_;
  NodeLoop loop_;
  IpPrefix prefix_;
  bool assigned_ = false;
  std::uint64_t changes_ = 0;
  std::vector<ChangeHandler> handlers_;
  NodeLoop::Event next_change_;
};

}  // namespace tether::sim
