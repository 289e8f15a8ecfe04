#include "sim/world/isp_prefix.h"

#include <algorithm>
#include <string>

#include <ns3/ipv6-static-routing-helper.h>
#include <ns3/ipv6.h>

#include "sim/host/ns3_address.h"

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

std::uint32_t ipv6_interface(const ns3::Ptr<ns3::Node>& node, const ns3::Ptr<ns3::NetDevice>& device) {
  auto ipv6 = node->GetObject<ns3::Ipv6>();
  std::int32_t index = ipv6->GetInterfaceForDevice(device);
  if (index < 0) index = std::int32_t(ipv6->AddInterface(device));
  ipv6->SetUp(std::uint32_t(index));
  return std::uint32_t(index);
}

Result<std::unique_ptr<IspPrefix>> IspPrefix::create(PrefixLine line, std::vector<PrefixSite> sites,
                                                     IspPrefixConfig config) {
  auto check = [](const ns3::Ptr<ns3::Node>& node, std::uint32_t interface, const char* what) -> Result<void> {
    auto ipv6 = node ? node->GetObject<ns3::Ipv6>() : nullptr;
    if (!ipv6) return Error(ErrorCode::invalid_argument, std::string("IspPrefix: the ") + what + " has no IPv6 stack");
    if (interface == 0 || interface >= ipv6->GetNInterfaces())
      return Error(ErrorCode::invalid_argument, std::string("IspPrefix: the ") + what + " (" + describe(node) +
                                                    ") has no IPv6 interface " + std::to_string(interface));
    if (!static_routing6(node))
      return Error(ErrorCode::invalid_argument, std::string("IspPrefix: the ") + what + " has no static routing");
    return {};
  };
  if (auto r = check(line.router, line.router_interface, "router"); !r) return r.error();
  if (auto r = check(line.customer, line.customer_interface, "customer"); !r) return r.error();
  if (sites.empty()) return Error(ErrorCode::invalid_argument, "IspPrefix: no site to number");
  for (const PrefixSite& site : sites) {
    if (auto r = check(site.node, site.interface, "site"); !r) return r.error();
    if (site.via)
      if (auto r = check(site.via, site.via_interface, "site's router"); !r) return r.error();
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
  auto blackhole = Ipv6BlackholeRouting::on(line.router);
  if (!blackhole) return Error(ErrorCode::invalid_argument, "IspPrefix: the router does not use IPv6 list routing (install its stack with an Ipv6ListRoutingHelper)");
  return std::unique_ptr<IspPrefix>(new IspPrefix(std::move(line), std::move(sites), std::move(config), std::move(blackhole)));
}

IspPrefix::IspPrefix(PrefixLine line, std::vector<PrefixSite> sites, IspPrefixConfig config,
                     ns3::Ptr<Ipv6BlackholeRouting> blackhole)
    : line_(std::move(line)),
      sites_(std::move(sites)),
      config_(std::move(config)),
      blackhole_(std::move(blackhole)),
      random_(config_.seed, config_.random_stream.value_or(kPrefixStreamTag | line_.customer->GetId())),
      loop_(line_.router) {
  std::sort(config_.pool.begin(), config_.pool.end(),
            [](const IpPrefix& a, const IpPrefix& b) { return a.to_string() < b.to_string(); });
  // Every prefix of the pool not delegated is the ISP's and goes nowhere.
  for (const IpPrefix& p : config_.pool) blackhole_->block(to_ns3_v6(p.address()), std::uint8_t(p.length()));
  auto up = [](const ns3::Ptr<ns3::Node>& node, std::uint32_t interface) {
    auto ipv6 = node->GetObject<ns3::Ipv6>();
    if (!ipv6->IsUp(interface)) ipv6->SetUp(interface);
  };
  up(line_.router, line_.router_interface);
  up(line_.customer, line_.customer_interface);
  for (const PrefixSite& site : sites_) up(site.node, site.interface);
  assign(config_.initial ? config_.initial->network() : draw(false));
  // Default routes to link-local next hops, which do not change with the prefix.
  auto default_route = [](const ns3::Ptr<ns3::Node>& node, std::uint32_t interface, const ns3::Ptr<ns3::Node>& next,
                          std::uint32_t next_interface) {
    static_routing6(node)->SetDefaultRoute(link_local(next, next_interface).value_or(ns3::Ipv6Address::GetAny()), interface);
  };
  if (line_.set_default_route) default_route(line_.customer, line_.customer_interface, line_.router, line_.router_interface);
  for (const PrefixSite& site : sites_)
    if (site.via) default_route(site.node, site.interface, site.via, site.via_interface);
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
  auto router_routes = static_routing6(line_.router);
  if (assigned_) {
    const IpPrefix old = prefix_;
    router_routes->RemoveRoute(to_ns3_v6(old.address()), ns3::Ipv6Prefix(std::uint8_t(old.length())),
                               line_.router_interface, ns3::Ipv6Address::GetZero());
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
  const auto customer = link_local(line_.customer, line_.customer_interface);
  router_routes->AddNetworkRouteTo(to_ns3_v6(prefix.address()), ns3::Ipv6Prefix(std::uint8_t(prefix.length())),
                                   customer.value_or(ns3::Ipv6Address::GetAny()), line_.router_interface);
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
