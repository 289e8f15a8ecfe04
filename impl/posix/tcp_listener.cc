#include "posix/tcp_listener.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>

#include "posix/asio_endpoint.h"
#include "posix/socket_error.h"
#include "posix/tcp_stream.h"

namespace tether::posix {
namespace {

using boost::asio::ip::tcp;

// Out of descriptors or memory: accepting again at once would spin, so the
// accept loop pauses this long and lets existing connections finish.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

struct ListenerState : std::enable_shared_from_this<ListenerState> {
  ListenerState(boost::asio::io_context& io, Logger l, std::function<void(std::unique_ptr<TcpStream>)> fn)
      : io(io), acceptor(io), backoff(io), log(std::move(l)), on_accept(std::move(fn)) {}

  boost::asio::io_context& io;
  tcp::acceptor acceptor;
  boost::asio::steady_timer backoff;
  Logger log;
  std::function<void(std::unique_ptr<TcpStream>)> on_accept;
  Endpoint local;
  bool closed = false;
  // set_accepting(false): no accept() runs, so the kernel's accept queue
  // holds what arrives. One async_accept at most is outstanding.
  bool accepting = true;
  bool accept_pending = false;
  // Accepted by an accept that completed just as the app stopped accepting
  // (cancel() cannot take it back): handed over when accepting again.
  std::deque<tcp::socket> held;

  void accept() {
    if (closed || !accepting || accept_pending) return;
    accept_pending = true;
    acceptor.async_accept([self = shared_from_this()](const boost::system::error_code& ec, tcp::socket peer) {
      self->accept_pending = false;
      if (self->closed || ec == boost::asio::error::operation_aborted) {
        self->accept();  // aborted by set_accepting(false), then accepting again already
        return;
      }
      if (!ec) {
        if (!self->accepting) {
          self->held.push_back(std::move(peer));
          return;
        }
        self->on_accept(adopt_accepted_tcp_stream(std::move(peer), self->log));
        self->accept();
        return;
      }
      int err = ec.value();
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        self->log.warning("accept on " + self->local.to_string() + ": " + ec.message() + "; pausing");
        self->accept_pending = true;  // the backoff stands for the outstanding accept
        self->backoff.expires_after(kAcceptBackoff);
        self->backoff.async_wait([self](const boost::system::error_code& wait_ec) {
          self->accept_pending = false;
          if (!wait_ec) self->accept();
        });
        return;
      }
      // A connection reset before we got to it (ECONNABORTED) and the like
      // concern that one client only.
      self->log.debug("accept on " + self->local.to_string() + ": " + ec.message());
      self->accept();
    });
  }

  void set_accepting(bool on) {
    if (closed || on == accepting) return;
    accepting = on;
    if (!on) {
      // The socket stays listening; only our accept() stops.
      boost::system::error_code ignored;
      acceptor.cancel(ignored);
      return;
    }
    // From the loop, never inside set_accepting: the held connections
    // first, in the order they came, then accepting from the kernel again.
    boost::asio::post(io, [self = shared_from_this()] {
      while (!self->held.empty() && self->accepting && !self->closed) {
        tcp::socket peer = std::move(self->held.front());
        self->held.pop_front();
        self->on_accept(adopt_accepted_tcp_stream(std::move(peer), self->log));
      }
      self->accept();
    });
  }
};

class PosixTcpListener final : public TcpListener {
 public:
  explicit PosixTcpListener(std::shared_ptr<ListenerState> state) : state_(std::move(state)) {}
  ~PosixTcpListener() override {
    state_->closed = true;
    boost::system::error_code ignored;
    state_->backoff.cancel();
    state_->acceptor.close(ignored);
    state_->held.clear();
  }
  Endpoint local_endpoint() const override { return state_->local; }
  void set_accepting(bool accepting) override { state_->set_accepting(accepting); }

 private:
  std::shared_ptr<ListenerState> state_;
};

}  // namespace

Result<std::unique_ptr<TcpListener>> listen_tcp(boost::asio::io_context& io, const Endpoint& local,
                                                std::function<void(std::unique_ptr<TcpStream>)> on_accept,
                                                const TcpListenOptions& options, const Logger& log) {
  auto state = std::make_shared<ListenerState>(io, log, std::move(on_accept));
  auto& acceptor = state->acceptor;
  const std::string what = "cannot listen on TCP " + local.to_string();
  boost::system::error_code ec;
  acceptor.open(local.address().is_v4() ? tcp::v4() : tcp::v6(), ec);
  if (ec) return asio_error(ec, what);
  // A restarted daemon must get its port back while old connections sit in
  // TIME_WAIT; Linux still refuses a port another socket listens on.
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (local.address().is_v6()) acceptor.set_option(boost::asio::ip::v6_only(true), ec);
  acceptor.bind(to_tcp(local), ec);
  if (ec) return asio_error(ec, what);
  acceptor.listen(options.backlog > 0 ? options.backlog : int(tcp::acceptor::max_listen_connections), ec);
  if (ec) return asio_error(ec, what);
  state->local = from_asio_endpoint(acceptor.local_endpoint(ec));
  state->accept();
  return std::unique_ptr<TcpListener>(std::make_unique<PosixTcpListener>(std::move(state)));
}

}  // namespace tether::posix
