#include "posix/udp_socket.h"

#include <sys/socket.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>

#include "posix/asio_endpoint.h"
#include "posix/socket_error.h"

namespace tether::posix {
namespace {

using boost::asio::ip::udp;

// Large enough for any UDP payload, so nothing is ever truncated; one buffer
// per socket, reused for every datagram.
constexpr std::size_t kReceiveBufferSize = 65536;
// Datagrams handled per readiness event before yielding to other work, so a
// flood on one socket cannot starve timers and other sockets.
constexpr int kReceiveBudget = 64;
// Kernel buffer per direction, as wireguard-go asks for (7 MiB). The default
// (net.core.rmem_default, 208 KiB) holds ~150 full-size datagrams: a TCP
// flow through the tunnel overruns it whenever the loop is busy sealing in
// the other direction, and every overrun is a loss TCP backs off for
// (measured: 41k UdpRcvbufErrors in 5 s of iperf3 from wireguard-go).
constexpr int kSocketBufferSize = 7 << 20;

// SO_*BUFFORCE goes past net.core.[rw]mem_max with CAP_NET_ADMIN (tetherd
// has it for the TUN device); without it, the plain option is clamped to
// the maximum. Either way a refusal only costs speed, so it is not an error.
void enlarge_buffers(int fd) {
  const int size = kSocketBufferSize;
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

// Owned jointly by the UdpSocket and by the pending wait, so a completion
// that arrives after the socket was destroyed finds valid memory and the
// `closed` flag instead of a dangling pointer.
struct UdpState : std::enable_shared_from_this<UdpState> {
  UdpState(boost::asio::io_context& io, Logger l)
      : socket(io), log(std::move(l)), buffer(kReceiveBufferSize) {}

  udp::socket socket;
  Logger log;
  std::vector<std::uint8_t> buffer;
  UdpSocket::ReceiveHandler handler;
  // A handler replaced from inside itself is swapped in after it returns,
  // so the running closure is never destroyed under its own feet.
  UdpSocket::ReceiveHandler replacement;
  bool replacing = false;
  bool dispatching = false;
  bool closed = false;

  void wait_readable() {
    socket.async_wait(udp::socket::wait_read,
                      [self = shared_from_this()](const boost::system::error_code& ec) {
                        if (self->closed || ec) return;
                        self->drain();
                      });
  }

  // Asio's reactor is edge-triggered: a wait only completes on new data, so
  // every wake-up must read until EAGAIN (or hand the rest to a posted
  // continuation when the budget is spent). A recvmmsg batch would slot in
  // here without changing anything around it.
  void drain() {
    for (int i = 0; i < kReceiveBudget; ++i) {
      udp::endpoint from;
      boost::system::error_code ec;
      std::size_t n = socket.receive_from(boost::asio::buffer(buffer), from, 0, ec);
      if (closed) return;
      if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again) {
        wait_readable();
        return;
      }
      if (ec) {
        // Pending ICMP errors surface here on some sockets; they concern an
        // earlier send, not this socket's health, so keep reading.
        log.debug("UDP receive on " + local().to_string() + ": " + ec.message());
        continue;
      }
      dispatch(from_asio_endpoint(from), ByteView(buffer.data(), n));
      if (closed) return;
    }
    boost::asio::post(socket.get_executor(), [self = shared_from_this()] {
      if (!self->closed) self->drain();
    });
  }

  void dispatch(const Endpoint& from, ByteView payload) {
    if (!handler) return;  // no handler yet: dropped, as documented
    dispatching = true;
    handler(from, payload);
    dispatching = false;
    if (replacing) {
      replacing = false;
      handler = std::move(replacement);
      replacement = nullptr;
    }
  }

  Endpoint local() const {
    boost::system::error_code ec;
    auto e = socket.local_endpoint(ec);
    return ec ? Endpoint() : from_asio_endpoint(e);
  }
};

class PosixUdpSocket final : public UdpSocket {
 public:
  explicit PosixUdpSocket(std::shared_ptr<UdpState> state)
      : state_(std::move(state)), local_(state_->local()) {}

  ~PosixUdpSocket() override {
    state_->closed = true;
    boost::system::error_code ignored;
    state_->socket.close(ignored);
  }

  Endpoint local_endpoint() const override { return local_; }

  Result<void> send_to(const Endpoint& to, ByteView payload) override {
    boost::system::error_code ec;
    state_->socket.send_to(boost::asio::buffer(payload.data(), payload.size()), to_udp(to), 0, ec);
    if (!ec) return {};
    if (ec == boost::asio::error::would_block || ec == boost::asio::error::try_again)
      return Error(ErrorCode::io,
                   "cannot send to " + to.to_string() + ": socket send buffer full, datagram dropped");
    return asio_error(
        ec, "cannot send " + std::to_string(payload.size()) + "-byte datagram to " + to.to_string());
  }

  void set_receive_handler(ReceiveHandler handler) override {
    if (state_->dispatching) {
      state_->replacement = std::move(handler);
      state_->replacing = true;
    } else {
      state_->handler = std::move(handler);
    }
  }

 private:
  std::shared_ptr<UdpState> state_;
  Endpoint local_;
};

}  // namespace

Result<std::unique_ptr<UdpSocket>> bind_udp_socket(boost::asio::io_context& io, const Endpoint& local,
                                                   const Logger& log) {
  auto state = std::make_shared<UdpState>(io, log);
  auto& socket = state->socket;
  const std::string what = "cannot bind UDP socket to " + local.to_string();
  boost::system::error_code ec;
  socket.open(local.address().is_v4() ? udp::v4() : udp::v6(), ec);
  if (ec) return asio_error(ec, what);
  // Separate v4 and v6 sockets behave the same here and in the simulator;
  // a dual-stack socket would report v4 peers as mapped v6 addresses.
  if (local.address().is_v6()) socket.set_option(boost::asio::ip::v6_only(true), ec);
  enlarge_buffers(socket.native_handle());
  // Deliberately no SO_REUSEADDR: on Linux it lets two UDP sockets share a
  // port, which would hide a second tetherd instance instead of failing.
  socket.bind(to_udp(local), ec);
  if (ec) return asio_error(ec, what);
  // send_to must never block the loop; a full send buffer drops the datagram
  // like a full NIC queue would.
  socket.non_blocking(true, ec);
  if (ec) return asio_error(ec, what);
  state->wait_readable();
  return std::unique_ptr<UdpSocket>(std::make_unique<PosixUdpSocket>(std::move(state)));
}

}  // namespace tether::posix
