#include "sim/host/ns3_udp_socket.h"

#include <limits>

#include <ns3/packet.h>
#include <ns3/udp-socket-factory.h>

#include "sim/host/ns3_address.h"
#include "sim/host/ns3_socket_error.h"

namespace tether::sim {

Result<std::unique_ptr<Ns3UdpSocket>> Ns3UdpSocket::bind(std::shared_ptr<NodeLoop> loop,
                                                         const Endpoint& local) {
  ns3::Ptr<ns3::Socket> socket =
      ns3::Socket::CreateSocket(loop->node(), ns3::UdpSocketFactory::GetTypeId());
  if (socket->Bind(to_ns3_socket_address(local)) != 0) {
    Error error = socket_error(socket->GetErrno(), "udp bind " + local.to_string());
    socket->Close();
    return error;
  }
  ns3::Address bound;
  socket->GetSockName(bound);
  Endpoint actual = endpoint_from_ns3(bound).value_or(local);
  return std::unique_ptr<Ns3UdpSocket>(new Ns3UdpSocket(std::move(loop), std::move(socket), actual));
}

Ns3UdpSocket::Ns3UdpSocket(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket, Endpoint local)
    : loop_(std::move(loop)), socket_(std::move(socket)), local_(local) {
  socket_->SetRecvCallback(ns3::MakeCallback(&Ns3UdpSocket::on_readable, this));
}

Ns3UdpSocket::~Ns3UdpSocket() {
  alive_.reset();
  socket_->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  socket_->Close();
  loop_->release_later(socket_);
}

Result<void> Ns3UdpSocket::send_to(const Endpoint& to, ByteView payload) {
  if (to.address().family() != local_.address().family())
    return Error(ErrorCode::invalid_argument,
                 "udp send to " + to.to_string() + ": socket is bound to " + local_.to_string());
  if (payload.size() > std::numeric_limits<std::uint32_t>::max())
    return Error(ErrorCode::invalid_argument, "udp send to " + to.to_string() + ": message too long");
  int sent = socket_->SendTo(payload.data(), static_cast<std::uint32_t>(payload.size()), 0,
                             to_ns3_socket_address(to));
  if (sent < 0) return socket_error(socket_->GetErrno(), "udp send to " + to.to_string());
  return {};
}

void Ns3UdpSocket::set_receive_handler(ReceiveHandler handler) { handler_ = std::move(handler); }

void Ns3UdpSocket::on_readable(ns3::Ptr<ns3::Socket> socket) {
  std::weak_ptr<bool> alive = alive_;
  ns3::Address from;
  Bytes buffer;
  while (ns3::Ptr<ns3::Packet> packet = socket->RecvFrom(from)) {
    // host.h: datagrams arriving before a handler is set are dropped, so
    // the socket buffer never fills with data nobody asked for.
    if (!handler_) continue;
    std::optional<Endpoint> sender = endpoint_from_ns3(from);
    if (!sender) continue;
    buffer.resize(packet->GetSize());
    packet->CopyData(buffer.data(), static_cast<std::uint32_t>(buffer.size()));
    // A copy: the handler may replace itself or destroy this socket.
    ReceiveHandler handler = handler_;
    handler(*sender, ByteView(buffer));
    if (alive.expired()) return;
  }
}

}  // namespace tether::sim
