#include "sim/isp_prefix.h"

#include <algorithm>
#include <string>

#include <ns3/ipv6-static-routing-helper.h>
#include <ns3/ipv6.h>

#include "sim/ns3_address.h"

namespace tether::sim {
namespace {

// "PD" in the high bits keeps the stream apart from the IPv4 line's ("ISP").
constexpr std::uint64_t kPrefixStreamTag = 0x5044ull << 40;

std::string describe(const ns3::Ptr<ns3::Node>& node) { return "node " + std::to_string(node->GetId()); }

ns3::Ptr<ns3::Ipv6StaticRouting> static_routing6(const ns3::Ptr<ns3::Node>& node) {
  auto ipv6 = node->GetObject<ns3::Ipv6>();
  return ipv6 ? ns3::Ipv6StaticRoutingHelper().GetStaticRouting(ipv6) : nullptr;
}

// The interface's link-local address: the next hop across a point-to-point line.
std::optional<ns3::Ipv6Address> link_local(const ns3::Ptr<ns3::Node>& node, std::uint32_t interface) {
  auto ipv6 = node->GetObject<ns3::Ipv6>();
  for (std::uint32_t i = 0; i < ipv6->GetNAddresses(interface); ++i) {
    const ns3::Ipv6InterfaceAddress a = ipv6->GetAddress(interface, i);
    if (a.GetScope() == ns3::Ipv6InterfaceAddress::LINKLOCAL) return a.GetAddress();
  }
  return std::nullopt;
}

std::uint64_t draw_u64(SeededRandom& random) {
  std::uint8_t b[8];
  random.fill(MutableByteView(b, sizeof b));
  std::uint64_t r = 0;
  for (std::uint8_t byte : b) r = r << 8 | byte;
  return r;
}

}  // namespace

Result<std::unique_ptr<IspPrefix>> IspPrefix::create(ns3::Ptr<ns3::Node> router, std::uint32_t router_interface,
                                                     std::vector<PrefixSite> sites, IspPrefixConfig config) {
  if (!router) return Error(ErrorCode::invalid_argument, "IspPrefix: the router is required");
  auto router6 = router->GetObject<ns3::Ipv6>();
  if (!router6) return Error(ErrorCode::invalid_argument, "IspPrefix: " + describe(router) + " has no IPv6 stack");
  if (router_interface == 0 || router_interface >= router6->GetNInterfaces())
    return Error(ErrorCode::invalid_argument, "IspPrefix: " + describe(router) + " has no IPv6 interface " +
                                                  std::to_string(router_interface));
  if (!static_routing6(router)) return Error(ErrorCode::invalid_argument, "IspPrefix: the router has no static routing");
  if (sites.empty()) return Error(ErrorCode::invalid_argument, "IspPrefix: no site to number");
  for (const PrefixSite& site : sites) {
    auto ipv6 = site.node ? site.node->GetObject<ns3::Ipv6>() : nullptr;
    if (!ipv6) return Error(ErrorCode::invalid_argument, "IspPrefix: a site has no node with an IPv6 stack");
    if (site.interface == 0 || site.interface >= ipv6->GetNInterfaces())
      return Error(ErrorCode::invalid_argument,
                   "IspPrefix: " + describe(site.node) + " has no IPv6 interface " + std::to_string(site.interface));
    if (!static_routing6(site.node))
      return Error(ErrorCode::invalid_argument, "IspPrefix: " + describe(site.node) + " has no static routing");
  }
  if (config.pool.empty()) return Error(ErrorCode::invalid_argument, "IspPrefix: the prefix pool is empty");
  for (IpPrefix& p : config.pool) {
    if (!p.address().is_v6() || p.length() < 16 || p.length() > 64)
      return Error(ErrorCode::invalid_argument, "IspPrefix: " + p.to_string() + " is not an IPv6 prefix of /16 to /64");
    if (p.length() != config.pool.front().length())
      return Error(ErrorCode::invalid_argument, "IspPrefix: the pool mixes prefix lengths");
    p = p.network();
  }
  const int subnets = 64 - config.pool.front().length();
  for (const PrefixSite& site : sites)
    if (subnets < 16 && site.subnet >= (1u << subnets))
      return Error(ErrorCode::invalid_argument, "IspPrefix: subnet " + std::to_string(site.subnet) + " is not in a /" +
                                                    std::to_string(config.pool.front().length()));
  if (config.initial && std::find(config.pool.begin(), config.pool.end(), config.initial->network()) == config.pool.end())
    return Error(ErrorCode::invalid_argument, "IspPrefix: the initial prefix is not in the pool");
  if (config.change_every < Duration::zero()) return Error(ErrorCode::invalid_argument, "IspPrefix: change_every is negative");
  auto blackhole = Ipv6BlackholeRouting::on(router);
  if (!blackhole) return Error(ErrorCode::invalid_argument, "IspPrefix: the router does not use IPv6 list routing (install its stack with an Ipv6ListRoutingHelper)");
  return std::unique_ptr<IspPrefix>(
      new IspPrefix(std::move(router), router_interface, std::move(sites), std::move(config), std::move(blackhole)));
}

IspPrefix::IspPrefix(ns3::Ptr<ns3::Node> router, std::uint32_t router_interface, std::vector<PrefixSite> sites,
                     IspPrefixConfig config, ns3::Ptr<Ipv6BlackholeRouting> blackhole)
    : router_(std::move(router)),
      router_interface_(router_interface),
      sites_(std::move(sites)),
      config_(std::move(config)),
      blackhole_(std::move(blackhole)),
      random_(config_.seed, config_.random_stream.value_or(kPrefixStreamTag | sites_.front().node->GetId())),
      loop_(router_) {
  std::sort(config_.pool.begin(), config_.pool.end(),
            [](const IpPrefix& a, const IpPrefix& b) { return a.to_string() < b.to_string(); });
  // Every prefix of the pool not delegated is the ISP's and goes nowhere.
  for (const IpPrefix& p : config_.pool) blackhole_->block(to_ns3_v6(p.address()), std::uint8_t(p.length()));
  for (const PrefixSite& site : sites_) {
    auto ipv6 = site.node->GetObject<ns3::Ipv6>();
    if (!ipv6->IsUp(site.interface)) ipv6->SetUp(site.interface);
  }
  if (!router_->GetObject<ns3::Ipv6>()->IsUp(router_interface_)) router_->GetObject<ns3::Ipv6>()->SetUp(router_interface_);
  assign(config_.initial ? config_.initial->network() : draw(false));
  for (const PrefixSite& site : sites_) {
    if (!site.default_route) continue;
    // Across the point-to-point line: the router's link-local address.
    const auto next_hop = link_local(router_, router_interface_);
    static_routing6(site.node)->SetDefaultRoute(next_hop.value_or(ns3::Ipv6Address::GetAny()), site.interface);
  }
  if (config_.change_every > Duration::zero()) schedule_change(config_.first_change.value_or(config_.change_every));
}

IspPrefix::~IspPrefix() = default;

IpAddress IspPrefix::address_in(const IpPrefix& prefix, const PrefixSite& site) const {
  std::uint8_t bytes[16];
  std::copy(prefix.address().bytes(), prefix.address().bytes() + 16, bytes);
  // The subnet fills the bits between the prefix and /64.
  const int subnet_bits = 64 - prefix.length();
  std::uint64_t high = 0;
  for (int i = 0; i < 8; ++i) high = high << 8 | bytes[i];
  if (subnet_bits > 0) high |= std::uint64_t(site.subnet) & ((subnet_bits >= 64 ? ~0ull : (1ull << subnet_bits) - 1));
  for (int i = 7; i >= 0; --i, high >>= 8) bytes[i] = std::uint8_t(high);
  std::uint64_t low = site.interface_id;
  for (int i = 15; i >= 8; --i, low >>= 8) bytes[i] = std::uint8_t(low);
  return IpAddress::v6_bytes(bytes);
}

void IspPrefix::assign(const IpPrefix& prefix) {
  auto router_routes = static_routing6(router_);
  if (assigned_) {
    const IpPrefix old = prefix_;
    router_routes->RemoveRoute(to_ns3_v6(old.address()), ns3::Ipv6Prefix(std::uint8_t(old.length())), router_interface_,
                               ns3::Ipv6Address::GetZero());
    blackhole_->block(to_ns3_v6(old.address()), std::uint8_t(old.length()));
    for (const PrefixSite& site : sites_) {
      // RemoveAddress takes the on-link /64 route with it.
      auto ipv6 = site.node->GetObject<ns3::Ipv6>();
      ipv6->RemoveAddress(site.interface, to_ns3_v6(address_in(old, site)));
    }
  }
  for (const PrefixSite& site : sites_) {
    auto ipv6 = site.node->GetObject<ns3::Ipv6>();
    // With the on-link /64 route, which RemoveAddress takes away again.
    ipv6->AddAddress(site.interface,
                     ns3::Ipv6InterfaceAddress(to_ns3_v6(address_in(prefix, site)), ns3::Ipv6Prefix(64)));
  }
  blackhole_->unblock(to_ns3_v6(prefix.address()), std::uint8_t(prefix.length()));
  const auto customer = link_local(sites_.front().node, sites_.front().interface);
  router_routes->AddNetworkRouteTo(to_ns3_v6(prefix.address()), ns3::Ipv6Prefix(std::uint8_t(prefix.length())),
                                   customer.value_or(ns3::Ipv6Address::GetAny()), router_interface_);
  prefix_ = prefix;
  assigned_ = true;
}

IpPrefix IspPrefix::draw(bool other_than_current) {
  const std::uint64_t r = draw_u64(random_);
  if (!other_than_current || !assigned_) return config_.pool[r % config_.pool.size()];
  if (config_.pool.size() < 2) return prefix_;
  std::vector<IpPrefix> others;
  for (const IpPrefix& p : config_.pool)
    if (!(p == prefix_)) others.push_back(p);
  return others[r % others.size()];
}

IpPrefix IspPrefix::change_prefix(std::optional<IpPrefix> to) {
  const IpPrefix old = prefix_;
  const IpPrefix next = to ? to->network() : draw(true);
  if (next == old) return old;
  assign(next);
  ++changes_;
  for (const auto& handler : handlers_) handler(old, next);
  return next;
}

void IspPrefix::schedule_change(Duration delay) {
  next_change_ = loop_.schedule(delay, [this] {
    change_prefix();
    schedule_change(config_.change_every);
  });
}

}  // namespace tether::sim
