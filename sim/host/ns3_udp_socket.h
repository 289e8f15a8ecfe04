#pragma once
// Host::udp_bind on an ns-3 UdpSocket.

#include <memory>

#include <ns3/socket.h>

#include "host/host.h"
#include "sim/host/node_loop.h"

namespace tether::sim {

class Ns3UdpSocket : public UdpSocket {
 public:
  static Result<std::unique_ptr<Ns3UdpSocket>> bind(std::shared_ptr<NodeLoop> loop, const Endpoint& local);
  ~Ns3UdpSocket() override;

  Endpoint local_endpoint() const override { return local_; }
  Result<void> send_to(const Endpoint& to, ByteView payload) override;
  void set_receive_handler(ReceiveHandler handler) override;

 private:
  Ns3UdpSocket(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket, Endpoint local);
  void on_readable(ns3::Ptr<ns3::Socket> socket);

  std::shared_ptr<NodeLoop> loop_;
  ns3::Ptr<ns3::Socket> socket_;
  Endpoint local_;
  ReceiveHandler handler_;
  // Expires when this object is destroyed, which a receive handler may do.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tether::sim
