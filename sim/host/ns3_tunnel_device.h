#pragma once
// Host::open_tunnel as an ns3::VirtualNetDevice: the node's IP stack routes
// packets into it like into a TUN interface, and packets written to it enter
// the stack as if they had arrived on that interface.
//
// What ns-3's send callback hands over: the device's payload, which for an
// IP interface is the whole IP packet with its header already serialized
// (there is no link-layer header on a VirtualNetDevice). That is exactly a
// TUN read, so the bytes go to the packet handler unchanged; the tests check
// the version nibble and the addresses of packets seen there.

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <ns3/virtual-net-device.h>

#include "host/host.h"
#include "sim/host/node_loop.h"

namespace tether::sim {

class Ns3TunnelDevice : public TunnelDevice {
 public:
  static Result<std::unique_ptr<Ns3TunnelDevice>> open(std::shared_ptr<NodeLoop> loop,
                                                       const TunnelDeviceConfig& config);
  // ns-3 cannot remove a device from a node: the interface is taken down,
  // its addresses and routes removed, and the device left inert.
  ~Ns3TunnelDevice() override;

  const std::string& name() const override { return name_; }
  int mtu() const override { return mtu_; }
  void set_packet_handler(PacketHandler handler) override;
  // Accepts IPv4 and IPv6 packets (by the version nibble); the stack takes
  // them from the loop, so nothing the packet causes (a socket receiving
  // it, an ICMP answer routed back into this device) runs inside this call.
  Result<void> write_packet(ByteView ip_packet) override;
  Result<void> add_route(const IpPrefix& prefix) override;

  ns3::Ptr<ns3::VirtualNetDevice> device() const { return device_; }
  // The device's interface index in the node's Ipv4.
  std::uint32_t ipv4_interface() const { return ipv4_interface_; }

 private:
  Ns3TunnelDevice(std::shared_ptr<NodeLoop> loop, const TunnelDeviceConfig& config);
  bool on_outgoing(ns3::Ptr<ns3::Packet> packet);
  void deliver_outgoing();
  void inject_incoming();
  // The node's Ipv6 interface for this device, added on first need: it
  // brings a link-local address and DAD, which a v4-only tunnel is better
  // without.
  Result<std::uint32_t> ipv6_interface();

  std::shared_ptr<NodeLoop> loop_;
  std::string name_;
  int mtu_;
  ns3::Ptr<ns3::VirtualNetDevice> device_;
  std::uint32_t ipv4_interface_ = 0;
  std::optional<std::uint32_t> ipv6_interface_;
  PacketHandler handler_;
  // Packets the stack sent into the tunnel, handed to the app from the loop
  // (the stack sends from inside an app's own send call).
  std::deque<Bytes> outgoing_;
  NodeLoop::Event deliver_event_;
  struct Incoming {
    ns3::Ptr<ns3::Packet> packet;
    std::uint16_t protocol;
  };
  std::deque<Incoming> incoming_;
  NodeLoop::Event inject_event_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tether::sim
