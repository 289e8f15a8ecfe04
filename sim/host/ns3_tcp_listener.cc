#include "sim/host/ns3_tcp_listener.h"


#include "sim/host/ns3_address.h"
#include "sim/host/ns3_socket_error.h"
#include "sim/host/linux_like_tcp_socket.h"

namespace tether::sim {

Result<std::unique_ptr<Ns3TcpListener>> Ns3TcpListener::listen(std::shared_ptr<NodeLoop> loop,
                                                                const TcpSettings& settings, const Endpoint& local,
                                                                AcceptHandler on_accept) {
  ns3::Ptr<ns3::Socket> socket = LinuxLikeTcpSocket::create(loop->node());
  settings.apply_to(socket);
  const ns3::Address address = to_ns3_socket_address(local);
  int rc = socket->Bind(address);
  // SO_REUSEADDR, as PosixHost's listeners have (linux_like_tcp_socket.h, 4).
  if (rc != 0 && socket->GetErrno() == ns3::Socket::ERROR_ADDRINUSE &&
      LinuxLikeTcpSocket::end_time_wait(loop->node(), address) > 0)
    rc = socket->Bind(address);
  if (rc != 0) {
    Error error = socket_error(socket->GetErrno(), "tcp listen on " + local.to_string());
    socket->Close();
    return error;
  }
  if (socket->Listen() != 0) {
    Error error = socket_error(socket->GetErrno(), "tcp listen on " + local.to_string());
    socket->Close();
    return error;
  }
  ns3::Address bound;
  socket->GetSockName(bound);
  Endpoint actual = endpoint_from_ns3(bound).value_or(local);
  return std::unique_ptr<Ns3TcpListener>(
      new Ns3TcpListener(std::move(loop), std::move(socket), actual, std::move(on_accept)));
}

Ns3TcpListener::Ns3TcpListener(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket, Endpoint local,
                               AcceptHandler on_accept)
    : loop_(std::move(loop)),
      socket_(std::move(socket)),
      local_(local),
      on_accept_(std::move(on_accept)),
      self_(std::make_shared<Ns3TcpListener*>(this)) {
  std::shared_ptr<Ns3TcpListener*> self = self_;
  socket_->SetAcceptCallback(
      // Accept everything while we listen; refusing would only make ns-3
      // drop the SYN, which a real listener does not do either.
      ns3::Callback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(
          [self](ns3::Ptr<ns3::Socket>, const ns3::Address&) { return *self != nullptr; }),
      ns3::Callback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>(
          [self](ns3::Ptr<ns3::Socket> socket, const ns3::Address& from) {
            if (*self == nullptr) {
              // Completed after the listener went away: nobody will take it.
              socket->Close();
              return;
            }
            (*self)->on_new_connection(socket, from);
          }));
}

Ns3TcpListener::~Ns3TcpListener() {
  *self_ = nullptr;
  socket_->SetAcceptCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
                             ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>());
  socket_->Close();
  loop_->release_later(socket_);
}

void Ns3TcpListener::on_new_connection(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from) {
  std::optional<Endpoint> remote = endpoint_from_ns3(from);
  if (!remote) {
    socket->Close();
    return;
  }
  std::unique_ptr<TcpStream> stream = Ns3TcpStream::accepted(loop_, socket, *remote);
  // A copy: the handler may destroy this listener.
  AcceptHandler on_accept = on_accept_;
  if (on_accept) on_accept(std::move(stream));
}

}  // namespace tether::sim
