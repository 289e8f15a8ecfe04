#pragma once
// ns-3's TcpSocketBase with six Linux behaviours that tether's apps can
// observe and stock ns-3.37 lacks. Only the simulated kernel changes; the
// Host driver above it stays a plain socket user.
//
// 1. Window updates on read. ns-3 never sends one. After a receiver stops
//    reading (set_reading false, a slow consumer) its advertised window
//    shrinks below one segment but not to zero; the sender then waits for a
//    full segment's window (sender-side silly window avoidance) with no
//    persist timer running (that starts only at a zero window), and the
//    connection stalls for good. Linux sends the update from
//    tcp_cleanup_rbuf() once the window has at least doubled; so does this.
// 2. Abort on close with unread data, and on data arriving after close.
//    ns-3 sends a FIN and keeps accepting bytes nobody will read, so a
//    sender that does not read never learns and fills the window; Linux
//    (RFC 2525 2.17, tcp_rcv_state_process) answers with an RST, which is
//    how a client learns that a server dropped it mid-command.
// 3. A FIN after shutdown(SHUT_WR) when everything has been sent but not
//    yet acknowledged. ns-3 sends it at once only if its buffer is empty,
//    else with the last new segment; in between it never sends it, and the
//    peer waits for EOF forever (an echo server that shuts down right
//    after echoing).
// 4. SO_REUSEADDR on listeners (PosixHost sets it, as every MTA does). A
//    connection closed by the server leaves its endpoint in TIME_WAIT for
//    2 MSL (4 min in ns-3), and ns-3 refuses any bind to that address and
//    port meanwhile, so a relay restarted within minutes of its last session
//    (stop-node, start-node) could never listen again. Linux lets the new
//    listener bind; here the node's TIME_WAIT connections on that address
//    and port are ended early (as if their 2 MSL had passed), then the bind
//    is retried. Connections in other states still refuse the bind.
// 5. Linux's SYN retransmissions (linux_syn_schedule.h). ns-3 doubles the
//    SYN timeout from the first retransmission and gives up after ConnCount
//    SYNs (7 SYNs, 127 s for 1 s x 7); Linux keeps the first
//    tcp_syn_linear_timeouts timeouts at 1 s and allows that many more
//    retransmissions (11 SYNs, 131 s with its defaults), which is how long a
//    sender waits on a blackholed MX before its backup.
// 6. The peer's FIN is acknowledged late, so that the app's own FIN can
//    carry the ACK. ns-3 ACKs an in-sequence FIN at once (twice when data
//    came with it); and an app that reads the data that came with the FIN
//    and closes from its receive callback, while ns-3 is still processing
//    that segment, gets its FIN out first, and ns-3's ACK follows as a
//    second segment. Linux's tcp_fin moves to CLOSE_WAIT in pingpong mode,
//    so __tcp_ack_snd_check only arms the delayed ACK (tcp_send_delayed_ack:
//    TCP_ATO_MIN, 40 ms, in a request-reply exchange); the app runs only
//    once the segment is processed (the socket lock), and its close sends
//    FIN+ACK from CLOSE_WAIT (tcp_close), which stops the delayed ACK
//    (tcp_event_ack_sent). Here the ACK waits the same way and such a close
//    is held until the segment is processed. So a client that closes on
//    reading the server's 221 and FIN sends one FIN+ACK, and one that closes
//    later sends the ACK 40 ms after the FIN, then its FIN. (The extra ACK
//    cancelled the server's WireGuard new-handshake timer in the simulation
//    only.) A close from inside a segment without FIN still runs at once:
//    ns-3 then puts the FIN on data just written, where Linux has sent
//    that data already.
// 7. No zero-window probe without a byte to probe with. ns-3's
//    PersistTimeout copies the byte at the next sequence to send and
//    dereferences the copy unchecked; with nothing unsent at that sequence
//    (the peer's window went to zero after the last byte had gone out)
//    the copy is null and the simulation crashes. Linux's tcp_probe_timer
//    (net/ipv4/tcp_timer.c) returns without probing when packets are in
//    flight or nothing is queued to send (!tcp_send_head), and
//    tcp_check_probe_timer arms the timer only with data waiting; so here
//    the persist state ends until there is a byte to send.

#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/tcp-socket-base.h>

#include "sim/host/linux_syn_schedule.h"

namespace tether::sim {

class LinuxLikeTcpSocket : public ns3::TcpSocketBase {
 public:
  // A socket configured as the node's TcpL4Protocol configures its own
  // (congestion control, recovery, RTT estimator, attribute defaults). It
  // presents itself as an ns3::TcpSocketBase: same attributes and traces.
  // The defaults are read once per node, at its first socket.
  static ns3::Ptr<ns3::TcpSocketBase> create(ns3::Ptr<ns3::Node> node);

  LinuxLikeTcpSocket() = default;  // for CreateObject: use create()
  LinuxLikeTcpSocket(const LinuxLikeTcpSocket& other);
  ~LinuxLikeTcpSocket() override;

  // Ends `node`'s TIME_WAIT connections whose local address and port are
  // `local` (behaviour 4 above); returns how many.
  static std::size_t end_time_wait(const ns3::Ptr<ns3::Node>& node, const ns3::Address& local);

  // The SYN schedule of this socket's connects (behaviour 5). Accepted
  // connections and the prototype's copies inherit it.
  void set_syn_schedule(const LinuxSynSchedule& schedule) { syn_schedule_ = schedule; }

  ns3::Ptr<ns3::Packet> Recv(std::uint32_t max_size, std::uint32_t flags) override;
  int Close() override;
  int ShutdownSend() override;

 protected:
  // Accepted connections are forks of the listening socket: keep the type.
  ns3::Ptr<ns3::TcpSocketBase> Fork() override;
  void ReceivedData(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader& header) override;
  // Every SYN of an active open goes through here: the first from
  // Connect, the rest from the retransmit timer (ns-3 arms it to call this
  // again, not ReTxTimeout). So does every pure ACK (behaviour 6).
  void SendEmptyPacket(std::uint8_t flags) override;
  // Each received segment: notes a FIN that came in ESTABLISHED, whose ACK
  // may wait and during which an app's close is held back (behaviour 6).
  void DoForwardUp(ns3::Ptr<ns3::Packet> packet, const ns3::Address& from, const ns3::Address& to) override;
  // Behaviour 7: probes only with a byte waiting to be sent.
  void PersistTimeout() override;

 private:
  void abort();
  // The app's Close, run once the segment being received is processed.
  void close_after_segment();
  // Behaviour 6: true when this pure ACK acknowledges the peer's FIN that
  // arrived in ESTABLISHED and Linux would delay it; arms the delayed ACK.
  bool delay_fin_ack();

  LinuxSynSchedule syn_schedule_;
  // Linux's icsk_retransmits, icsk_rto and retrans_stamp for the SYN.
  std::uint32_t syn_retransmits_ = 0;
  Duration syn_rto_ = Duration::zero();
  ns3::Time first_syn_retransmit_at_;

  bool closed_by_app_ = false;
  bool abort_scheduled_ = false;
  // Behaviour 6: the segment being received carries a FIN and came in
  // ESTABLISHED; the app closed meanwhile.
  bool fin_in_established_ = false;
  bool close_held_ = false;
};

}  // namespace tether::sim
