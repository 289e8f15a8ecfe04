#include "sim/host/ns3_tunnel_device.h"

#include <ns3/ipv4-routing-table-entry.h>
#include <ns3/ipv4-static-routing-helper.h>
#include <ns3/ipv4.h>
#include <ns3/ipv6-routing-table-entry.h>
#include <ns3/ipv6-static-routing-helper.h>
#include <ns3/ipv6.h>
#include <ns3/mac48-address.h>
#include <ns3/packet.h>

#include "sim/host/ns3_address.h"

namespace tether::sim {
namespace {

constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeIpv6 = 0x86DD;

ns3::Ipv4Mask v4_mask(int length) {
  return ns3::Ipv4Mask(length <= 0 ? 0u : ~std::uint32_t(0) << (32 - length));
}

// Locally administered, and a function of the node and device index only:
// Mac48Address::Allocate counts across simulations in one process, and
// IPv6 derives the link-local address from it.
ns3::Mac48Address device_mac(std::uint32_t node_id, std::uint32_t device_index) {
  std::uint8_t b[6] = {0x02, 0x74, std::uint8_t(node_id >> 8), std::uint8_t(node_id),
                       std::uint8_t(device_index >> 8), std::uint8_t(device_index)};
  ns3::Mac48Address mac;
  mac.CopyFrom(b);
  return mac;
}

}  // namespace

Result<std::unique_ptr<Ns3TunnelDevice>> Ns3TunnelDevice::open(std::shared_ptr<NodeLoop> loop,
                                                               const TunnelDeviceConfig& config) {
  const std::string what = "tunnel " + config.name;
  if (config.mtu < 68 || config.mtu > 65535)
    return Error(ErrorCode::invalid_argument, what + ": MTU " + std::to_string(config.mtu) + " out of range");
  ns3::Ptr<ns3::Ipv4> ipv4 = loop->node()->GetObject<ns3::Ipv4>();
  if (!ipv4) return Error(ErrorCode::unsupported, what + ": node has no IPv4 stack");
  for (const IpPrefix& p : config.addresses) {
    if (p.address().is_v6() && !loop->node()->GetObject<ns3::Ipv6>())
      return Error(ErrorCode::unsupported, what + ": node has no IPv6 stack for " + p.to_string());
    if (p.address().is_v6() && config.mtu < 1280)
      return Error(ErrorCode::invalid_argument, what + ": IPv6 needs an MTU of at least 1280");
  }

  std::unique_ptr<Ns3TunnelDevice> tunnel(new Ns3TunnelDevice(std::move(loop), config));
  Ns3TunnelDevice* self = tunnel.get();
  ns3::Ptr<ns3::Node> node = self->loop_->node();
  ns3::Ptr<ns3::VirtualNetDevice> device = ns3::CreateObject<ns3::VirtualNetDevice>();
  device->SetAddress(device_mac(node->GetId(), node->GetNDevices()));
  device->SetMtu(static_cast<std::uint16_t>(config.mtu));
  // Like a Linux wg interface: point-to-point, no ARP/ND link layer.
  device->SetNeedsArp(false);
  device->SetIsPointToPoint(true);
  device->SetSendCallback(ns3::VirtualNetDevice::SendCallback(
      [self](ns3::Ptr<ns3::Packet> packet, const ns3::Address&, const ns3::Address&, std::uint16_t) {
        return self->on_outgoing(packet);
      }));
  node->AddDevice(device);
  self->device_ = device;

  // An IPv4 interface even without a v4 address, so that v4 packets written
  // into the tunnel are taken by the stack (and forwarded) as on Linux.
  self->ipv4_interface_ = ipv4->AddInterface(device);
  for (const IpPrefix& p : config.addresses)
    if (p.address().is_v4())
      ipv4->AddAddress(self->ipv4_interface_,
                       ns3::Ipv4InterfaceAddress(to_ns3_v4(p.address()), v4_mask(p.length())));
  ipv4->SetMetric(self->ipv4_interface_, 1);
  ipv4->SetUp(self->ipv4_interface_);

  for (const IpPrefix& p : config.addresses) {
    if (!p.address().is_v6()) continue;
    Result<std::uint32_t> index = self->ipv6_interface();
    if (!index) return index.error();
    node->GetObject<ns3::Ipv6>()->AddAddress(
        *index, ns3::Ipv6InterfaceAddress(to_ns3_v6(p.address()), ns3::Ipv6Prefix(std::uint8_t(p.length()))));
  }
  return tunnel;
}

Ns3TunnelDevice::Ns3TunnelDevice(std::shared_ptr<NodeLoop> loop, const TunnelDeviceConfig& config)
    : loop_(std::move(loop)), name_(config.name), mtu_(config.mtu) {}

Ns3TunnelDevice::~Ns3TunnelDevice() {
  alive_.reset();
  if (!device_) return;
  device_->SetSendCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Packet>, const ns3::Address&,
                                                 const ns3::Address&, std::uint16_t>());
  ns3::Ptr<ns3::Node> node = loop_->node();
  // Taking the interface down drops the static routes through it; the
  // addresses go too, so nothing selects them as a source any more.
  ns3::Ptr<ns3::Ipv4> ipv4 = node->GetObject<ns3::Ipv4>();
  ipv4->SetDown(ipv4_interface_);
  while (ipv4->GetNAddresses(ipv4_interface_) > 0) ipv4->RemoveAddress(ipv4_interface_, 0);
  ns3::Ptr<ns3::Ipv4StaticRouting> routes4 = ns3::Ipv4StaticRoutingHelper().GetStaticRouting(ipv4);
  for (std::uint32_t i = routes4 ? routes4->GetNRoutes() : 0; i-- > 0;)
    if (routes4->GetRoute(i).GetInterface() == ipv4_interface_) routes4->RemoveRoute(i);
  if (ipv6_interface_) {
    ns3::Ptr<ns3::Ipv6> ipv6 = node->GetObject<ns3::Ipv6>();
    ipv6->SetDown(*ipv6_interface_);
    while (ipv6->GetNAddresses(*ipv6_interface_) > 0) ipv6->RemoveAddress(*ipv6_interface_, 0);
    ns3::Ptr<ns3::Ipv6StaticRouting> routes6 = ns3::Ipv6StaticRoutingHelper().GetStaticRouting(ipv6);
    for (std::uint32_t i = routes6 ? routes6->GetNRoutes() : 0; i-- > 0;)
      if (routes6->GetRoute(i).GetInterface() == *ipv6_interface_) routes6->RemoveRoute(i);
  }
}

Result<std::uint32_t> Ns3TunnelDevice::ipv6_interface() {
  if (ipv6_interface_) return *ipv6_interface_;
  ns3::Ptr<ns3::Ipv6> ipv6 = loop_->node()->GetObject<ns3::Ipv6>();
  if (!ipv6) return Error(ErrorCode::unsupported, "tunnel " + name_ + ": node has no IPv6 stack");
  if (mtu_ < 1280) return Error(ErrorCode::invalid_argument, "tunnel " + name_ + ": IPv6 needs an MTU of 1280");
  std::uint32_t index = ipv6->AddInterface(device_);
  ipv6->SetMetric(index, 1);
  ipv6->SetUp(index);
  ipv6_interface_ = index;
  return index;
}

void Ns3TunnelDevice::set_packet_handler(PacketHandler handler) { handler_ = std::move(handler); }

Result<void> Ns3TunnelDevice::write_packet(ByteView ip_packet) {
  if (ip_packet.empty()) return Error(ErrorCode::invalid_argument, "tunnel " + name_ + ": empty packet");
  std::uint16_t protocol;
  switch (ip_packet[0] >> 4) {
    case 4:
      if (ip_packet.size() < 20)
        return Error(ErrorCode::invalid_argument, "tunnel " + name_ + ": IPv4 packet shorter than its header");
      protocol = kEtherTypeIpv4;
      break;
    case 6:
      if (ip_packet.size() < 40)
        return Error(ErrorCode::invalid_argument, "tunnel " + name_ + ": IPv6 packet shorter than its header");
      protocol = kEtherTypeIpv6;
      break;
    default:
      return Error(ErrorCode::invalid_argument,
                   "tunnel " + name_ + ": not an IP packet (version " + std::to_string(ip_packet[0] >> 4) + ")");
  }
  if (ip_packet.size() > 65535)
    return Error(ErrorCode::invalid_argument, "tunnel " + name_ + ": packet larger than 65535 bytes");
  incoming_.push_back(
      Incoming{ns3::Create<ns3::Packet>(ip_packet.data(), static_cast<std::uint32_t>(ip_packet.size())), protocol});
  if (!inject_event_.pending()) inject_event_ = loop_->schedule(Duration::zero(), [this] { inject_incoming(); });
  return {};
}

Result<void> Ns3TunnelDevice::add_route(const IpPrefix& prefix) {
  IpPrefix network = prefix.network();
  ns3::Ptr<ns3::Node> node = loop_->node();
  if (network.address().is_v4()) {
    ns3::Ptr<ns3::Ipv4StaticRouting> routes =
        ns3::Ipv4StaticRoutingHelper().GetStaticRouting(node->GetObject<ns3::Ipv4>());
    if (!routes) return Error(ErrorCode::unsupported, "tunnel " + name_ + ": node has no IPv4 static routing");
    routes->AddNetworkRouteTo(to_ns3_v4(network.address()), v4_mask(network.length()), ipv4_interface_);
    return {};
  }
  Result<std::uint32_t> index = ipv6_interface();
  if (!index) return index.error();
  ns3::Ptr<ns3::Ipv6StaticRouting> routes =
      ns3::Ipv6StaticRoutingHelper().GetStaticRouting(node->GetObject<ns3::Ipv6>());
  if (!routes) return Error(ErrorCode::unsupported, "tunnel " + name_ + ": node has no IPv6 static routing");
  routes->AddNetworkRouteTo(to_ns3_v6(network.address()), ns3::Ipv6Prefix(std::uint8_t(network.length())), *index);
  return {};
}

bool Ns3TunnelDevice::on_outgoing(ns3::Ptr<ns3::Packet> packet) {
  Bytes bytes(packet->GetSize());
  packet->CopyData(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  outgoing_.push_back(std::move(bytes));
  if (!deliver_event_.pending()) deliver_event_ = loop_->schedule(Duration::zero(), [this] { deliver_outgoing(); });
  return true;
}

void Ns3TunnelDevice::deliver_outgoing() {
  std::weak_ptr<bool> alive = alive_;
  while (!outgoing_.empty()) {
    Bytes packet = std::move(outgoing_.front());
    outgoing_.pop_front();
    // Like a TUN device read by nobody: without a handler the packet is lost.
    PacketHandler handler = handler_;
    if (!handler) continue;
    handler(ByteView(packet));
    if (alive.expired()) return;
  }
}

void Ns3TunnelDevice::inject_incoming() {
  // A socket that takes the packet calls its app's handler from in here,
  // and that handler may destroy this device.
  std::weak_ptr<bool> alive = alive_;
  while (!incoming_.empty() && !alive.expired()) {
    Incoming in = std::move(incoming_.front());
    incoming_.pop_front();
    // The stack may answer at once (an ICMP echo reply routed back into this
    // device): on_outgoing only queues, so nothing re-enters the app here.
    device_->Receive(in.packet, in.protocol, device_->GetAddress(), device_->GetAddress(),
                     ns3::NetDevice::PACKET_HOST);
  }
}

}  // namespace tether::sim
