#include "sim/world/isp.h"

#include <algorithm>
#include <string>
#include <utility>

#include <ns3/ipv4.h>

#include "sim/world/nat.h"
#include "sim/world/static_routes.h"

namespace tether::sim {
namespace {

// "ISP" in the high bits keeps the stream apart from the customer node's
// own (its id) and its NAT's.
constexpr std::uint64_t kIspStreamTag = 0x495350ull << 40;

std::string describe(const ns3::Ptr<ns3::Node>& node) { return "node " + std::to_string(node->GetId()); }

}  // namespace

Result<std::unique_ptr<Isp>> Isp::create(IspLine line, IspConfig config) {
  if (!line.router || !line.customer) return Error(ErrorCode::invalid_argument, "Isp: router and customer nodes are required");
  for (const auto& [node, interface] : {std::pair(line.router, line.router_interface),
                                        std::pair(line.customer, line.customer_interface)}) {
    auto ipv4 = node->GetObject<ns3::Ipv4>();
    if (!ipv4) return Error(ErrorCode::invalid_argument, "Isp: " + describe(node) + " has no IPv4 stack");
    if (interface == 0 || interface >= ipv4->GetNInterfaces())
      return Error(ErrorCode::invalid_argument,
                   "Isp: " + describe(node) + " has no interface " + std::to_string(interface));
    if (!static_routing(node)) return Error(ErrorCode::invalid_argument, "Isp: " + describe(node) + " has no static routing");
  }
  std::sort(config.pool.begin(), config.pool.end());
  config.pool.erase(std::unique(config.pool.begin(), config.pool.end()), config.pool.end());
  if (config.pool.empty()) return Error(ErrorCode::invalid_argument, "Isp: the address pool is empty");
  if (config.initial_address &&
      !std::binary_search(config.pool.begin(), config.pool.end(), *config.initial_address))
    return Error(ErrorCode::invalid_argument, "Isp: the initial address is not in the pool");
  if (config.change_every < Duration::zero())
    return Error(ErrorCode::invalid_argument, "Isp: change_every is negative");
  auto blackhole = BlackholeRouting::on(line.router);
  if (!blackhole)
    return Error(ErrorCode::invalid_argument, "Isp: the router " + describe(line.router) + " does not use list routing");
  return std::unique_ptr<Isp>(new Isp(std::move(line), std::move(config), std::move(blackhole)));
}

Isp::Isp(IspLine line, IspConfig config, ns3::Ptr<BlackholeRouting> blackhole)
    : line_(std::move(line)),
      config_(std::move(config)),
      blackhole_(std::move(blackhole)),
      random_(config_.seed, config_.random_stream.value_or(kIspStreamTag | line_.customer->GetId())),
      loop_(line_.router) {
  for (const auto& address : config_.pool) blackhole_->block(address);
  const ns3::Ipv4Address first = config_.initial_address ? *config_.initial_address : [&] {
    std::uint8_t b[4];
    random_.fill(MutableByteView(b, sizeof b));
    const std::uint32_t r = std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3];
    return config_.pool[r % config_.pool.size()];
  }();
  assign(first);
  if (config_.set_default_route) set_default_route(line_.customer, line_.customer_interface, config_.gateway);
  if (config_.change_every > Duration::zero())
    schedule_change(config_.first_change.value_or(config_.change_every));
}

Isp::~Isp() = default;

void Isp::assign(ns3::Ipv4Address address) {
  const ns3::Ipv4Address old = address_;
  if (old != ns3::Ipv4Address()) {
    remove_host_routes(line_.router, old);
    blackhole_->block(old);
  }
  renumber_interface(line_.customer, line_.customer_interface,
                     ns3::Ipv4InterfaceAddress(address, config_.customer_mask));
  // The line is up once the customer has an address (and the router's side
  // is up for it), whatever state the topology left them in.
  for (const auto& [node, interface] : {std::pair(line_.customer, line_.customer_interface),
                                        std::pair(line_.router, line_.router_interface)}) {
    auto ipv4 = node->GetObject<ns3::Ipv4>();
    if (!ipv4->IsUp(interface)) ipv4->SetUp(interface);
  }
  blackhole_->unblock(address);
  add_host_route(line_.router, address, line_.router_interface);
  address_ = address;
}

ns3::Ipv4Address Isp::draw_other_address() {
  if (config_.pool.size() < 2) return address_;
  std::uint8_t b[4];
  random_.fill(MutableByteView(b, sizeof b));
  const std::uint32_t r = std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3];
  // Uniform over the pool without the current address.
  auto current = std::lower_bound(config_.pool.begin(), config_.pool.end(), address_);
  std::size_t index = r % (config_.pool.size() - 1);
  if (current != config_.pool.end() && *current == address_ && index >= std::size_t(current - config_.pool.begin()))
    ++index;
  return config_.pool[index];
}

ns3::Ipv4Address Isp::change_address(std::optional<ns3::Ipv4Address> to) {
  const ns3::Ipv4Address old = address_;
  const ns3::Ipv4Address next = to ? *to : draw_other_address();
  if (next == old) return old;
  assign(next);
  ++changes_;
  if (line_.nat) line_.nat->flush_mappings(line_.customer_interface, NatFlushCause::address_change);
  for (const auto& handler : handlers_) handler(old, next);
  return next;
}

void Isp::schedule_change(Duration delay) {
  next_change_ = loop_.schedule(delay, [this] {
    change_address();
    schedule_change(config_.change_every);
  });
}

}  // namespace tether::sim
