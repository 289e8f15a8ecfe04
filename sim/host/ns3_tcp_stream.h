#pragma once
// TcpStream on an ns-3 TcpSocketBase: outgoing (tcp_connect) and accepted
// (by Ns3TcpListener) connections.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include <ns3/socket.h>
#include <ns3/tcp-header.h>
#include <ns3/tcp-socket-base.h>
#include <ns3/tcp-socket.h>

#include "host/host.h"
#include "sim/host/node_loop.h"

namespace tether::sim {

// Per-socket TCP settings, applied to every socket a host creates (an
// accepted socket inherits its listener's).
struct TcpSettings {
  // ns-3's default MSS is 536 bytes; a Linux host on Ethernet sends 1448
  // (1500 - 20 IP - 20 TCP - 12 timestamp option).
  std::uint32_t segment_size = 1448;
  // An unanswered SYN, with Linux's meaning and defaults
  // (linux_syn_schedule.h): the initial timeout (tcp_timeout_init),
  // net.ipv4.tcp_syn_retries and net.ipv4.tcp_syn_linear_timeouts. A
  // connect to a blackholed host sends 11 SYNs and fails after 131 s,
  // which is what backup-MX fallback latency depends on. (ns-3's own
  // ConnTimeout x ConnCount, 3 s x 6, would give up after ~189 s.)
  Duration syn_timeout = Duration::seconds(1);
  std::uint32_t syn_retries = 6;
  std::uint32_t syn_linear_timeouts = 4;

  void apply_to(ns3::Ptr<ns3::Socket> socket) const;
};

class Ns3TcpStream : public TcpStream {
 public:
  // Returns at once; the outcome reaches handlers.on_connected from the loop.
  static std::unique_ptr<Ns3TcpStream> connect(std::shared_ptr<NodeLoop> loop, const TcpSettings& settings,
                                               const Endpoint& remote, Handlers handlers,
                                               const TcpConnectOptions& options);
  // Takes over a socket a listener has just accepted. Nothing is read from
  // it until set_handlers.
  static std::unique_ptr<Ns3TcpStream> accepted(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket,
                                                const Endpoint& remote);
  ~Ns3TcpStream() override;

  void set_handlers(Handlers handlers) override;
  Endpoint local_endpoint() const override { return local_; }
  Endpoint remote_endpoint() const override { return remote_; }
  void write(ByteView data) override;
  std::size_t pending_write_bytes() const override { return queued_bytes_; }
  void shutdown_write() override;
  void close() override;
  void set_reading(bool reading) override;

 private:
  enum class Phase { connecting, open, finished };

  Ns3TcpStream(std::shared_ptr<NodeLoop> loop, ns3::Ptr<ns3::Socket> socket, const Endpoint& remote, Phase phase);

  // Hooks every ns-3 callback of socket_ to this object.
  void attach();
  // Unhooks them, closes the socket and hands it to the loop to release.
  void detach();
  void cancel_events();

  // ns-3 callbacks.
  void on_connect_succeeded();
  void on_connect_failed();
  void on_normal_close();
  void on_error_close();
  void on_readable();
  void on_send_space();
  void on_state(ns3::TcpSocket::TcpStates_t from, ns3::TcpSocket::TcpStates_t to);
  // Every segment the socket receives ("Rx" trace): the only sure sign of
  // an RST, which ns-3 reports as a normal close or not at all.
  void on_segment(ns3::Ptr<const ns3::Packet> packet, const ns3::TcpHeader& header,
                  ns3::Ptr<const ns3::TcpSocketBase> socket);
  void settle_close();

  void fail_connect(Error error);
  // Ends the stream and reports `reason` through on_closed.
  void finish(Error reason);
  void report_eof();
  // Moves queued bytes into the socket's send buffer as far as it has room.
  void flush();
  // Delivers buffered bytes while reading is on; then EOF if the peer closed.
  void read_available();
  void schedule_read();
  bool reading() const { return reading_ && handlers_set_ && phase_ == Phase::open && !read_done_; }
  void refresh_local_endpoint();

  std::shared_ptr<NodeLoop> loop_;
  ns3::Ptr<ns3::Socket> socket_;
  Endpoint local_;
  Endpoint remote_;
  Phase phase_;
  Handlers handlers_;
  bool handlers_set_ = false;
  bool reading_ = true;
  // The peer's FIN has arrived; reported once the bytes before it are read.
  bool peer_finished_ = false;
  // EOF has been reported through on_closed. Our direction stays open
  // (host.h's shutdown_write is a half-close, and so is the peer's FIN):
  // an echo server answers after it has seen EOF.
  bool read_done_ = false;
  bool shutdown_requested_ = false;
  bool shutdown_sent_ = false;
  // A write since the last on_drained.
  bool drain_owed_ = false;
  ns3::TcpSocket::TcpStates_t state_ = ns3::TcpSocket::CLOSED;
  bool reset_seen_ = false;
  // An accepted stream that ended before the app set its handlers: the
  // reason is reported once they are.
  std::optional<Error> unreported_end_;

  std::deque<Bytes> queue_;
  std::size_t front_offset_ = 0;
  std::size_t queued_bytes_ = 0;

  NodeLoop::Event connect_timeout_;
  NodeLoop::Event deferred_result_;
  NodeLoop::Event read_event_;
  NodeLoop::Event drained_event_;
  NodeLoop::Event close_check_;

  // Expires when this object is destroyed, which any app callback may do.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tether::sim
