#pragma once
// Host::tcp_listen on a listening ns-3 TcpSocketBase, with Linux's accept
// queue: while the app is not accepting, completed connections wait here,
// up to the backlog (plus one, as sk_acceptq_is_full counts), and SYNs
// beyond it are dropped, so the client's SYN retries run into its connect
// timeout. ns-3 itself has no accept queue: it hands every connection over
// at once.

#include <deque>
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

  static Result<std::unique_ptr<Ns3TcpListener>> listen(std::shared_ptr<NodeLoop> loop,
                                                        const TcpSettings& settings, const Endpoint& local,
                                                        const TcpListenOptions& options,
                                                        AcceptHandler on_accept);
  ~Ns3TcpListener() override;

  Endpoint local_endpoint() const override { return local_; }
  void set_accepting(bool accepting) override;

 private:
  Ns3TcpListener(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket, Endpoint local,
                 std::size_t queue_limit, AcceptHandler on_accept);
  // A SYN arrived: false drops it (the accept queue is full).
  bool on_connection_request() const;
  void on_new_connection(ns3::Ptr<ns3::Socket> socket, const ns3::Address& from);
  void hand_over_queued();

  std::shared_ptr<NodeLoop> loop_;
  ns3::Ptr<ns3::Socket> socket_;
  Endpoint local_;
  AcceptHandler on_accept_;
  bool accepting_ = true;
  // Completed connections the app has not taken, oldest first, and how
  // many may wait (Linux: backlog + 1).
  std::deque<std::unique_ptr<TcpStream>> queued_;
  std::size_t queue_limit_;
  NodeLoop::Event hand_over_;
  // ns-3 copies the listening socket's accept callbacks into every socket
  // it forks for a half-open connection, and those may complete after this
  // listener is gone: the callbacks reach us only through this cell, which
  // the destructor empties.
  std::shared_ptr<Ns3TcpListener*> self_;
};

}  // namespace tether::sim
