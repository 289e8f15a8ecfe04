#include "sim/host/ns3_tcp_listener.h"

#include <algorithm>

#include "sim/host/ns3_address.h"
#include "sim/host/ns3_socket_error.h"
#include "sim/host/linux_like_tcp_socket.h"

namespace tether::sim {
namespace {

// net.core.somaxconn's default since Linux 5.4.
constexpr int kSomaxconn = 4096;

}  // namespace

Result<std::unique_ptr<Ns3TcpListener>> Ns3TcpListener::listen(std::shared_ptr<NodeLoop> loop,
                                                                const TcpSettings& settings, const Endpoint& local,
                                                                const TcpListenOptions& options,
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
  // Linux caps the backlog at net.core.somaxconn (4096) and queues one
  // more than it.
  const std::size_t backlog = options.backlog > 0 ? std::min(options.backlog, kSomaxconn) : kSomaxconn;
  return std::unique_ptr<Ns3TcpListener>(
      new Ns3TcpListener(std::move(loop), std::move(socket), actual, backlog + 1, std::move(on_accept)));
}

Ns3TcpListener::Ns3TcpListener(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket, Endpoint local,
                               std::size_t queue_limit, AcceptHandler on_accept)
    : loop_(std::move(loop)),
      socket_(std::move(socket)),
      local_(local),
      on_accept_(std::move(on_accept)),
      queue_limit_(queue_limit),
      self_(std::make_shared<Ns3TcpListener*>(this)) {
  std::shared_ptr<Ns3TcpListener*> self = self_;
  socket_->SetAcceptCallback(
      // Refusing makes ns-3 drop the SYN, which is what Linux does with a
      // full accept queue, and only then.
      ns3::Callback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(
          [self](ns3::Ptr<ns3::Socket>, const ns3::Address&) {
            return *self != nullptr && (*self)->on_connection_request();
          }),
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
  hand_over_.cancel();
  queued_.clear();  // closes them, as closing a Linux listener resets its queue
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
  if (!accepting_ || !queued_.empty()) {
    // Handshake complete, nobody calls accept(): it waits in the queue. The
    // stream reads nothing until the app sets its handlers, so the
    // client's bytes wait in the socket as they would in the kernel.
    queued_.push_back(std::move(stream));
    return;
  }
  // A copy: the handler may destroy this listener.
  AcceptHandler on_accept = on_accept_;
  if (on_accept) on_accept(std::move(stream));
}

bool Ns3TcpListener::on_connection_request() const {
  // tcp_conn_request drops the SYN when sk_acceptq_is_full. Handshakes in
  // progress are not counted (Linux checks again at the final ACK); a
  // burst of SYNs can overfill the queue by those few.
  return accepting_ || queued_.size() < queue_limit_;
}

void Ns3TcpListener::set_accepting(bool accepting) {
  if (accepting == accepting_) return;
  accepting_ = accepting;
  if (!accepting_) {
    hand_over_.cancel();
    return;
  }
  // From the loop, never inside this call.
  if (!queued_.empty()) hand_over_ = loop_->schedule(Duration::zero(), [this] { hand_over_queued(); });
}

void Ns3TcpListener::hand_over_queued() {
  std::shared_ptr<Ns3TcpListener*> self = self_;
  while (*self && accepting_ && !queued_.empty()) {
    std::unique_ptr<TcpStream> stream = std::move(queued_.front());
    queued_.pop_front();
    // A copy: the handler may destroy this listener (then *self is null).
    AcceptHandler on_accept = on_accept_;
    if (on_accept) on_accept(std::move(stream));
  }
}

}  // namespace tether::sim
