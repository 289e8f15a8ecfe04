#include "sim/host/ns3_tcp_stream.h"

#include <algorithm>
#include <utility>

#include <ns3/packet.h>
#include <ns3/tcp-header.h>
#include <ns3/uinteger.h>

#include "sim/host/ns3_address.h"
#include "sim/host/ns3_socket_error.h"
#include "sim/host/linux_like_tcp_socket.h"

namespace tether::sim {
namespace {

using SocketCallback = ns3::Callback<void, ns3::Ptr<ns3::Socket>>;
using SpaceCallback = ns3::Callback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>;

// Large enough to take a full receive buffer in a few calls, small enough
// that one on_data call does not hold megabytes.
constexpr std::uint32_t kReadChunk = 64 * 1024;

}  // namespace

void TcpSettings::apply_to(ns3::Ptr<ns3::Socket> socket) const {
  socket->SetAttribute("SegmentSize", ns3::UintegerValue(segment_size));
  // A listener's SYN+ACK retransmissions keep ns-3's doubling schedule
  // from these (1 s, 7 sends, as before); an active open's SYNs follow
  // Linux's, which LinuxLikeTcpSocket replays.
  socket->SetAttribute("ConnTimeout", ns3::TimeValue(to_ns3(syn_timeout)));
  socket->SetAttribute("ConnCount", ns3::UintegerValue(syn_retries + 1));
  if (ns3::Ptr<LinuxLikeTcpSocket> linux_like = ns3::DynamicCast<LinuxLikeTcpSocket>(socket)) {
    LinuxSynSchedule schedule;
    schedule.initial_rto = syn_timeout;
    schedule.syn_retries = syn_retries;
    schedule.linear_timeouts = syn_linear_timeouts;
    linux_like->set_syn_schedule(schedule);
  }
}

std::unique_ptr<Ns3TcpStream> Ns3TcpStream::connect(std::shared_ptr<NodeLoop> loop, const TcpSettings& settings,
                                                     const Endpoint& remote, Handlers handlers,
                                                     const TcpConnectOptions& options) {
  ns3::Ptr<ns3::Socket> socket = LinuxLikeTcpSocket::create(loop->node());
  settings.apply_to(socket);
  std::unique_ptr<Ns3TcpStream> stream(new Ns3TcpStream(std::move(loop), socket, remote, Phase::connecting));
  stream->handlers_ = std::move(handlers);
  stream->handlers_set_ = true;
  stream->attach();

  // Failures found here are reported from the loop like any other outcome:
  // on_connected must never run inside tcp_connect.
  auto fail_later = [&stream](Error error) {
    Ns3TcpStream* s = stream.get();
    s->deferred_result_ = s->loop_->schedule(Duration::zero(), [s, error] { s->fail_connect(error); });
    return std::move(stream);
  };

  int rc;
  if (options.source) {
    if (options.source->family() != remote.address().family())
      return fail_later(Error(ErrorCode::invalid_argument, "tcp connect to " + remote.to_string() +
                                                               " from " + options.source->to_string() +
                                                               ": address families differ"));
    rc = socket->Bind(to_ns3_socket_address(Endpoint(*options.source, 0)));
  } else {
    rc = remote.address().is_v4() ? socket->Bind() : socket->Bind6();
  }
  if (rc != 0) return fail_later(socket_error(socket->GetErrno(), "tcp bind for " + remote.to_string()));
  if (socket->Connect(to_ns3_socket_address(remote)) != 0)
    return fail_later(socket_error(socket->GetErrno(), "tcp connect to " + remote.to_string()));
  stream->refresh_local_endpoint();

  if (options.timeout) {
    Ns3TcpStream* s = stream.get();
    Duration limit = *options.timeout;
    s->connect_timeout_ = s->loop_->schedule(limit, [s, limit, remote] {
      s->fail_connect(Error(ErrorCode::timed_out,
                            "tcp connect to " + remote.to_string() + ": no answer within " + format_duration(limit)));
    });
  }
  return stream;
}

std::unique_ptr<Ns3TcpStream> Ns3TcpStream::accepted(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket,
                                                     const Endpoint& remote) {
  std::unique_ptr<Ns3TcpStream> stream(new Ns3TcpStream(std::move(loop), std::move(socket), remote, Phase::open));
  stream->state_ = ns3::TcpSocket::ESTABLISHED;
  stream->attach();
  stream->refresh_local_endpoint();
  return stream;
}

Ns3TcpStream::Ns3TcpStream(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket, const Endpoint& remote,
                           Phase phase)
    : loop_(std::move(loop)), socket_(std::move(socket)), remote_(remote), phase_(phase) {
  local_ = Endpoint(IpAddress::any(remote.address().family()), 0);
}

Ns3TcpStream::~Ns3TcpStream() {
  alive_.reset();
  detach();
}

void Ns3TcpStream::attach() {
  socket_->SetConnectCallback(SocketCallback([this](ns3::Ptr<ns3::Socket>) { on_connect_succeeded(); }),
                              SocketCallback([this](ns3::Ptr<ns3::Socket>) { on_connect_failed(); }));
  socket_->SetCloseCallbacks(SocketCallback([this](ns3::Ptr<ns3::Socket>) { on_normal_close(); }),
                             SocketCallback([this](ns3::Ptr<ns3::Socket>) { on_error_close(); }));
  socket_->SetRecvCallback(SocketCallback([this](ns3::Ptr<ns3::Socket>) { on_readable(); }));
  socket_->SetSendCallback(SpaceCallback([this](ns3::Ptr<ns3::Socket>, std::uint32_t) { on_send_space(); }));
  // The state tells an orderly close from a reset (see on_normal_close). A
  // member-function callback, unlike a lambda, compares equal to a second
  // one made the same way, which is what disconnecting needs.
  socket_->TraceConnectWithoutContext("State", ns3::MakeCallback(&Ns3TcpStream::on_state, this));
  socket_->TraceConnectWithoutContext("Rx", ns3::MakeCallback(&Ns3TcpStream::on_segment, this));
}

void Ns3TcpStream::detach() {
  if (!socket_) return;
  socket_->SetConnectCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                              ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  socket_->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                             ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  socket_->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  socket_->SetSendCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>());
  socket_->SetDataSentCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>());
  socket_->TraceDisconnectWithoutContext("State", ns3::MakeCallback(&Ns3TcpStream::on_state, this));
  socket_->TraceDisconnectWithoutContext("Rx", ns3::MakeCallback(&Ns3TcpStream::on_segment, this));
  // Close() sends what is already in the socket's buffer, then FIN (an
  // RST if received bytes are left unread, as on Linux), and ns-3's TCP
  // keeps the socket until the exchange is over.
  socket_->Close();
  loop_->release_later(socket_);
  socket_ = nullptr;
  cancel_events();
}

void Ns3TcpStream::cancel_events() {
  connect_timeout_.cancel();
  deferred_result_.cancel();
  read_event_.cancel();
  drained_event_.cancel();
  close_check_.cancel();
}

void Ns3TcpStream::set_handlers(Handlers handlers) {
  handlers_ = std::move(handlers);
  handlers_set_ = true;
  if (unreported_end_) {
    deferred_result_ = loop_->schedule(Duration::zero(), [this] {
      Error reason = std::move(*unreported_end_);
      unreported_end_.reset();
      auto on_closed = handlers_.on_closed;
      handlers_ = Handlers{};
      if (on_closed) on_closed(reason);
    });
    return;
  }
  schedule_read();
}

void Ns3TcpStream::write(ByteView data) {
  if (phase_ == Phase::finished || shutdown_requested_ || data.empty()) return;
  queue_.push_back(data.to_bytes());
  queued_bytes_ += data.size();
  drain_owed_ = true;
  if (phase_ == Phase::open) flush();
}

void Ns3TcpStream::shutdown_write() {
  if (phase_ == Phase::finished || shutdown_requested_) return;
  shutdown_requested_ = true;
  if (phase_ == Phase::open) flush();
}

void Ns3TcpStream::close() {
  phase_ = Phase::finished;
  detach();
  cancel_events();
  unreported_end_.reset();
  queue_.clear();
  front_offset_ = 0;
  queued_bytes_ = 0;
  handlers_ = Handlers{};
}

void Ns3TcpStream::set_reading(bool reading) {
  reading_ = reading;
  // Bytes that arrived while reading was off raise no new ns-3 callback.
  if (reading) schedule_read();
}

void Ns3TcpStream::on_connect_succeeded() {
  if (phase_ != Phase::connecting) return;
  phase_ = Phase::open;
  connect_timeout_.cancel();
  refresh_local_endpoint();
  flush();
  std::weak_ptr<bool> alive = alive_;
  auto on_connected = handlers_.on_connected;
  if (on_connected) on_connected(Result<void>());
  if (alive.expired()) return;
  schedule_read();
}

void Ns3TcpStream::on_connect_failed() {
  // ns-3 reports this when its SYN retries are used up.
  fail_connect(Error(ErrorCode::timed_out, "tcp connect to " + remote_.to_string() + ": no answer to SYN"));
}

void Ns3TcpStream::on_normal_close() {
  if (phase_ == Phase::connecting) {
    // A close before the handshake completed: the peer refused. Reported
    // from the loop, out of the socket's own close path.
    deferred_result_ = loop_->schedule(Duration::zero(), [this] {
      fail_connect(Error(ErrorCode::connection_refused, "tcp connect to " + remote_.to_string() + ": refused"));
    });
    return;
  }
  if (phase_ != Phase::open) return;
  // ns-3 reports an RST as a "normal" close too, and notifies before it
  // updates the state; after the current event, on_segment has seen the
  // RST or the state tells: a FIN leaves the socket in CLOSE_WAIT (or
  // TIME_WAIT, CLOSING, LAST_ACK if we had shut down too), an RST in CLOSED.
  close_check_ = loop_->schedule(Duration::zero(), [this] { settle_close(); });
}

void Ns3TcpStream::settle_close() {
  if (phase_ != Phase::open) return;
  if (reset_seen_ || state_ == ns3::TcpSocket::CLOSED) {
    finish(Error(ErrorCode::connection_reset, "connection to " + remote_.to_string() + " reset by peer"));
    return;
  }
  peer_finished_ = true;
  if (reading()) read_available();
}

void Ns3TcpStream::on_segment(ns3::Ptr<const ns3::Packet>, const ns3::TcpHeader& header,
                              ns3::Ptr<const ns3::TcpSocketBase>) {
  if (!(header.GetFlags() & ns3::TcpHeader::RST)) return;
  reset_seen_ = true;
  // Acted on from the loop: we are inside the socket's own receive path.
  if (phase_ == Phase::connecting) {
    // ns-3.37 ignores an RST+ACK in SYN_SENT (it takes it for a stray ACK)
    // and would retry the SYN for two minutes; a refused connection is
    // exactly that RST.
    deferred_result_ = loop_->schedule(Duration::zero(), [this] {
      fail_connect(Error(ErrorCode::connection_refused, "tcp connect to " + remote_.to_string() + ": refused"));
    });
  } else if (phase_ == Phase::open && !close_check_.pending()) {
    close_check_ = loop_->schedule(Duration::zero(), [this] { settle_close(); });
  }
}

void Ns3TcpStream::on_error_close() {
  // ns-3 closes with an error when its data retransmissions are used up
  // (DataRetries); Linux reports that as ETIMEDOUT.
  finish(Error(ErrorCode::timed_out, "connection to " + remote_.to_string() + ": no acknowledgement, gave up"));
}

void Ns3TcpStream::on_readable() {
  if (reading()) read_available();
}

void Ns3TcpStream::on_send_space() {
  if (phase_ == Phase::open) flush();
}

void Ns3TcpStream::on_state(ns3::TcpSocket::TcpStates_t, ns3::TcpSocket::TcpStates_t to) { state_ = to; }

void Ns3TcpStream::fail_connect(Error error) {
  if (phase_ != Phase::connecting) return;
  phase_ = Phase::finished;
  detach();
  auto on_connected = handlers_.on_connected;
  handlers_ = Handlers{};
  if (on_connected) on_connected(std::move(error));
}

void Ns3TcpStream::finish(Error reason) {
  if (phase_ == Phase::finished) return;
  phase_ = Phase::finished;
  detach();
  // Writes are ignored from now on, and so are those still queued.
  queue_.clear();
  front_offset_ = 0;
  queued_bytes_ = 0;
  if (read_done_) {
    // on_closed has told the app already (EOF); it is called only once.
    handlers_ = Handlers{};
    return;
  }
  if (!handlers_set_) {
    unreported_end_ = std::move(reason);
    return;
  }
  auto on_closed = handlers_.on_closed;
  handlers_ = Handlers{};
  if (on_closed) on_closed(reason);
}

void Ns3TcpStream::flush() {
  while (!queue_.empty()) {
    std::uint32_t room = socket_->GetTxAvailable();
    if (room == 0) break;  // the send callback calls us again when acks free room
    Bytes& front = queue_.front();
    std::size_t n = std::min<std::size_t>(room, front.size() - front_offset_);
    int sent = socket_->Send(front.data() + front_offset_, static_cast<std::uint32_t>(n), 0);
    if (sent <= 0) break;
    front_offset_ += static_cast<std::size_t>(sent);
    queued_bytes_ -= static_cast<std::size_t>(sent);
    if (front_offset_ == front.size()) {
      queue_.pop_front();
      front_offset_ = 0;
    }
  }
  if (!queue_.empty()) return;
  if (drain_owed_) {
    drain_owed_ = false;
    // From the loop: flush runs inside write(), which must not call back.
    drained_event_ = loop_->schedule(Duration::zero(), [this] {
      auto on_drained = handlers_.on_drained;
      if (on_drained) on_drained();
    });
  }
  if (shutdown_requested_ && !shutdown_sent_) {
    shutdown_sent_ = true;
    socket_->ShutdownSend();
  }
}

void Ns3TcpStream::read_available() {
  std::weak_ptr<bool> alive = alive_;
  Bytes buffer;
  while (reading()) {
    ns3::Ptr<ns3::Packet> packet = socket_->Recv(kReadChunk, 0);
    if (!packet || packet->GetSize() == 0) break;
    buffer.resize(packet->GetSize());
    packet->CopyData(buffer.data(), packet->GetSize());
    auto on_data = handlers_.on_data;
    if (on_data) on_data(ByteView(buffer));
    if (alive.expired()) return;
  }
  if (peer_finished_ && reading() && socket_->GetRxAvailable() == 0) report_eof();
}

void Ns3TcpStream::report_eof() {
  read_done_ = true;
  read_event_.cancel();
  auto on_closed = handlers_.on_closed;
  if (on_closed) on_closed(Error(ErrorCode::closed, "connection closed by " + remote_.to_string()));
}

void Ns3TcpStream::schedule_read() {
  if (!reading() || read_event_.pending()) return;
  read_event_ = loop_->schedule(Duration::zero(), [this] { read_available(); });
}

void Ns3TcpStream::refresh_local_endpoint() {
  ns3::Address name;
  if (socket_ && socket_->GetSockName(name) == 0)
    if (std::optional<Endpoint> e = endpoint_from_ns3(name)) local_ = *e;
}

}  // namespace tether::sim
