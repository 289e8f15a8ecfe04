#pragma once
// Host::tcp_listen on a listening ns-3 TcpSocketBase.

#include <functional>
#include <memory>

#include <ns3/socket.h>

#include "host/host.h"
#include "sim/host/node_loop.h"
#include "sim/host/ns3_tcp_stream.h"

namespace tether::sim {

class Ns3TcpListener : public TcpListener {
 public:
  using AcceptHandler = std::function<void(std::unique_ptr<TcpStream>)>;

  static Result<std::unique_ptr<Ns3TcpListener>> listen(std::shared_ptr<NodeLoop> loop, const TcpSettings& settings,
                                                        const Endpoint& local, AcceptHandler on_accept);
  ~Ns3TcpListener() override;

  Endpoint local_endpoint() const override { return local_; }

 private:
  Ns3TcpListener(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket, Endpoint local,
                 AcceptHandler on_accept);
  void on_new_connection(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from);

  std::shared_ptr<NodeLoop> loop_;
  ns3::Ptr<ns3::Socket> socket_;
  Endpoint local_;
  AcceptHandler on_accept_;
  // ns-3 copies the listening socket's accept callbacks into every socket
  // it forks for a half-open connection, and those may complete after this
  // listener is gone: the callbacks reach us only through this cell, which
  // the destructor empties.
  std::shared_ptr<Ns3TcpListener*> self_;
};

}  // namespace tether::sim
