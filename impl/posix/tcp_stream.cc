#include "posix/tcp_stream.h"

#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>

#include "posix/asio_endpoint.h"
#include "posix/socket_error.h"

namespace tether::posix {
namespace {

using boost::asio::ip::tcp;

constexpr std::size_t kReadBufferSize = 65536;

// Reads land in one buffer per thread, used only between a socket becoming
// readable and its on_data returning, so an idle connection holds no buffer
// of its own. (Issue 14: with a 64 KiB vector per stream, 1,000 idle
// connections took 64 MiB, which the allocator kept after they closed.)
// Only completions on the loop read into it and on_data is never called
// from inside another on_data, so one buffer per thread is never shared.
std::vector<std::uint8_t>& thread_read_buffer() {
  thread_local std::vector<std::uint8_t> buffer(kReadBufferSize);
  return buffer;
}

bool is_aborted(const boost::system::error_code& ec) {
  return ec == boost::asio::error::operation_aborted;
}

// Shared between the TcpStream and every pending Asio operation, so that a
// completion arriving after close() or destruction finds live memory (the
// buffers Asio still points into) and the `closed` flag, and returns quietly.
struct TcpState : std::enable_shared_from_this<TcpState> {
  TcpState(tcp::socket s, Logger l)
      : socket(std::move(s)),
        connect_timer(socket.get_executor()),
        log(std::move(l)) {}

  tcp::socket socket;
  boost::asio::steady_timer connect_timer;
  Logger log;
  Endpoint local;
  Endpoint remote;

  TcpStream::Handlers handlers;
  bool handlers_set = false;
  // Handlers replaced from inside a callback are swapped in after it returns,
  // so the running closure is not destroyed while it runs.
  TcpStream::Handlers replacement;
  bool replacing = false;
  bool dispatching = false;

  bool connecting = false;
  bool connected = false;
  bool closed = false;    // close() or destruction: no more callbacks, ever
  bool finished = false;  // on_closed (or a failed on_connected) was delivered

  // Reading: wait until the socket is readable, then read what it has.
  // While paused (set_reading(false)) nothing is read: the bytes and the
  // EOF wait in the kernel, in order, until set_reading(true).
  bool reading = true;
  bool read_pending = false;  // a wait for readability is outstanding
  bool read_done = false;     // EOF seen or the connection failed
  bool resume_posted = false;

  // Writing: `sending` is partly handed to the kernel (up to send_offset);
  // `queued` collects later writes, coalesced into the next send.
  Bytes sending;
  std::size_t send_offset = 0;
  Bytes queued;
  std::size_t pending_bytes = 0;
  bool flush_posted = false;
  bool write_waiting = false;  // waiting for the socket to take more
  bool drain_owed = false;     // bytes were written since the last on_drained
  bool shutdown_requested = false;
  bool shutdown_done = false;

  template <typename Fn, typename... Args>
  void invoke(Fn TcpStream::Handlers::*member, Args&&... args) {
    auto& fn = handlers.*member;
    if (!fn) return;
    bool outer = dispatching;
    dispatching = true;
    fn(std::forward<Args>(args)...);
    dispatching = outer;
    if (!dispatching && replacing) {
      replacing = false;
      handlers = std::move(replacement);
      replacement = {};
    }
  }

  void set_handlers(TcpStream::Handlers h) {
    if (dispatching) {
      replacement = std::move(h);
      replacing = true;
    } else {
      handlers = std::move(h);
    }
    handlers_set = true;
    post_resume();
  }

  void remember_endpoints() {
    boost::system::error_code ec;
    auto l = socket.local_endpoint(ec);
    if (!ec) local = from_asio_endpoint(l);
    auto r = socket.remote_endpoint(ec);
    if (!ec) remote = from_asio_endpoint(r);
  }

  void on_established() {
    connected = true;
    remember_endpoints();
    // The write queue already coalesces small writes, so Nagle would only
    // add latency to SMTP's request/response turns.
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
  }

  // --- connect ---

  void connect(const Endpoint& to, const TcpConnectOptions& options) {
    connecting = true;
    remote = to;
    boost::system::error_code ec;
    socket.open(to.address().is_v4() ? tcp::v4() : tcp::v6(), ec);
    if (ec)
      return post_connect_failure(asio_error(ec, "cannot open a socket to connect to " + to.to_string()));
    if (options.source) {
      if (options.source->family() != to.address().family())
        return post_connect_failure(Error(ErrorCode::invalid_argument,
                                          "cannot connect to " + to.to_string() + " from " +
                                              options.source->to_string() + ": address families differ"));
      socket.bind(tcp::endpoint(to_asio(*options.source), 0), ec);
      if (ec)
        return post_connect_failure(asio_error(
            ec, "cannot bind to source " + options.source->to_string() + " to connect to " + to.to_string()));
    }
    if (options.timeout) {
      connect_timer.expires_after(std::chrono::nanoseconds(options.timeout->ns()));
      connect_timer.async_wait([self = shared_from_this(), to,
                                timeout = *options.timeout](const boost::system::error_code& ec) {
        if (ec || self->closed || !self->connecting) return;
        boost::system::error_code ignored;
        self->socket.close(ignored);  // aborts the connect; its completion is ignored
        self->connect_failed(Error(ErrorCode::timed_out, "connecting to " + to.to_string() +
                                                             " timed out after " + format_duration(timeout)));
      });
    }
    socket.async_connect(to_tcp(to), [self = shared_from_this(), to](const boost::system::error_code& ec) {
      if (self->closed || !self->connecting) return;
      self->connect_timer.cancel();
      if (ec) {
        boost::system::error_code ignored;
        self->socket.close(ignored);
        return self->connect_failed(asio_error(ec, "cannot connect to " + to.to_string()));
      }
      self->connecting = false;
      self->on_established();
      self->invoke(&TcpStream::Handlers::on_connected, Result<void>());
      if (self->closed) return;
      self->start_read();
      self->flush();
    });
  }

  void connect_failed(Error error) {
    connecting = false;
    finished = true;
    read_done = true;
    invoke(&TcpStream::Handlers::on_connected, Result<void>(std::move(error)));
  }

  void post_connect_failure(Error error) {
    boost::asio::post(socket.get_executor(), [self = shared_from_this(), error = std::move(error)]() mutable {
      if (self->closed || !self->connecting) return;
      self->connect_timer.cancel();
      self->connect_failed(std::move(error));
    });
  }

  // --- reading ---

  void start_read() {
    if (closed || finished || read_done || !connected || !handlers_set || !reading || read_pending) return;
    read_pending = true;
    socket.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
      self->on_readable(ec);
    });
  }

  void on_readable(const boost::system::error_code& ec) {
    read_pending = false;
    if (closed || finished || is_aborted(ec)) return;
    if (ec) return fail(asio_error(ec, "connection with " + remote.to_string()));
    if (!reading) return;  // paused meanwhile: resume() waits again
    std::vector<std::uint8_t>& buffer = thread_read_buffer();
    ssize_t n = ::recv(socket.native_handle(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return start_read();
      return fail(errno_error(errno, "connection with " + remote.to_string()));
    }
    if (n == 0) return deliver_eof();
    invoke(&TcpStream::Handlers::on_data, ByteView(buffer.data(), static_cast<std::size_t>(n)));
    start_read();
  }

  void deliver_eof() {
    read_done = true;
    finished = true;
    // Writing may go on after the peer's FIN (a half-close is legal TCP);
    // only reading is over, so the socket stays open until close().
    invoke(&TcpStream::Handlers::on_closed, Error(ErrorCode::closed, "peer closed the connection"));
  }

  void fail(Error error) {
    if (finished) return;
    finished = true;
    read_done = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    invoke(&TcpStream::Handlers::on_closed, error);
  }

  // Resuming (set_reading(true), set_handlers) is posted: a read must not
  // deliver bytes inside the caller's call, nor overwrite the buffer a
  // running on_data is still looking at.
  void post_resume() {
    if (resume_posted) return;
    resume_posted = true;
    boost::asio::post(socket.get_executor(), [self = shared_from_this()] {
      self->resume_posted = false;
      self->resume();
    });
  }

  void resume() {
    if (closed || finished || !reading || !handlers_set || !connected) return;
    start_read();
  }

  // --- writing ---
  //
  // An explicit send loop (non-blocking send, then wait for writability)
  // rather than async_write, so this code always knows how many bytes the
  // kernel took: close() can then hand over what is still queued before the
  // socket goes, the way close(2) after write(2) would.

  void write(ByteView data) {
    // After a failure the socket is closed; after the peer's EOF it is not,
    // and writing may continue.
    if (closed || shutdown_requested || data.empty() || (finished && !socket.is_open())) return;
    append(queued, data);
    pending_bytes += data.size();
    drain_owed = true;
    post_flush();
  }

  void shutdown_write() {
    if (closed || shutdown_requested) return;
    shutdown_requested = true;
    post_flush();
  }

  // Writes made in one callback leave together in one send, and nothing
  // (on_drained, a send error) can be reported inside write() itself.
  void post_flush() {
    if (flush_posted || write_waiting) return;
    flush_posted = true;
    boost::asio::post(socket.get_executor(), [self = shared_from_this()] {
      self->flush_posted = false;
      self->flush();
    });
  }

  // Hands queued bytes to the kernel until done or it would block. Returns
  // an errno (0 if none); only for close(), which cannot report it.
  int send_queued() {
    while (send_offset < sending.size() || !queued.empty()) {
      if (send_offset == sending.size()) {
        sending.clear();
        sending.swap(queued);
        send_offset = 0;
      }
      ssize_t n = ::send(socket.native_handle(), sending.data() + send_offset, sending.size() - send_offset,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      send_offset += static_cast<std::size_t>(n);
      pending_bytes -= static_cast<std::size_t>(n);
    }
    sending.clear();
    send_offset = 0;
    return 0;
  }

  void flush() {
    if (closed || !connected || write_waiting || !socket.is_open()) return;
    int err = send_queued();
    if (err == EAGAIN || err == EWOULDBLOCK) {
      write_waiting = true;
      socket.async_wait(tcp::socket::wait_write,
                        [self = shared_from_this()](const boost::system::error_code& ec) {
                          self->write_waiting = false;
                          if (self->closed || is_aborted(ec)) return;
                          self->flush();
                        });
      return;
    }
    if (err != 0) {
      if (finished) return;  // the peer already closed; that was reported
      return fail(errno_error(err, "cannot send to " + remote.to_string()));
    }
    finish_shutdown();
    if (drain_owed) {
      drain_owed = false;
      invoke(&TcpStream::Handlers::on_drained);
    }
  }

  void finish_shutdown() {
    if (!shutdown_requested || shutdown_done || pending_bytes > 0) return;
    shutdown_done = true;
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
  }

  void close() {
    if (closed) return;
    closed = true;
    boost::system::error_code ignored;
    connect_timer.cancel();
    // Whatever fits in the kernel's buffer still goes out, followed by FIN,
    // like close(2) after write(2): "221 Bye" then close() must not lose
    // the reply. What does not fit is dropped: close() does not wait.
    if (connected && socket.is_open()) send_queued();
    socket.close(ignored);
  }
};

class PosixTcpStream final : public TcpStream {
 public:
  explicit PosixTcpStream(std::shared_ptr<TcpState> state) : state_(std::move(state)) {}
  ~PosixTcpStream() override { state_->close(); }

  void set_handlers(Handlers handlers) override { state_->set_handlers(std::move(handlers)); }
  Endpoint local_endpoint() const override { return state_->local; }
  Endpoint remote_endpoint() const override { return state_->remote; }
  void write(ByteView data) override { state_->write(data); }
  std::size_t pending_write_bytes() const override { return state_->pending_bytes; }
  void shutdown_write() override { state_->shutdown_write(); }
  void close() override { state_->close(); }
  void set_reading(bool reading) override {
    if (reading == state_->reading) return;
    state_->reading = reading;
    if (reading) state_->post_resume();
  }

 private:
  std::shared_ptr<TcpState> state_;
};

}  // namespace

std::unique_ptr<TcpStream> connect_tcp_stream(boost::asio::io_context& io, const Endpoint& remote,
                                              TcpStream::Handlers handlers, const TcpConnectOptions& options,
                                              const Logger& log) {
  auto state = std::make_shared<TcpState>(tcp::socket(io), log);
  state->handlers = std::move(handlers);
  state->handlers_set = true;
  state->connect(remote, options);
  return std::make_unique<PosixTcpStream>(std::move(state));
}

std::unique_ptr<TcpStream> adopt_accepted_tcp_stream(tcp::socket socket, const Logger& log) {
  auto state = std::make_shared<TcpState>(std::move(socket), log);
  state->on_established();
  return std::make_unique<PosixTcpStream>(std::move(state));
}

}  // namespace tether::posix
