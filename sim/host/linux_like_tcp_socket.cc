#include "sim/host/linux_like_tcp_socket.h"

#include <unordered_set>
#include <vector>

#include <ns3/inet-socket-address.h>
#include <ns3/inet6-socket-address.h>
#include <ns3/ipv4-end-point.h>
#include <ns3/ipv6-end-point.h>
#include <ns3/object-factory.h>
#include <ns3/packet.h>
#include <ns3/rtt-estimator.h>
#include <ns3/simulator.h>
#include <ns3/tcp-congestion-ops.h>
#include <ns3/tcp-header.h>
#include <ns3/tcp-l4-protocol.h>
#include <ns3/tcp-recovery-ops.h>
#include <ns3/tcp-rx-buffer.h>
#include <ns3/tcp-socket-state.h>
#include <ns3/tcp-tx-buffer.h>

namespace tether::sim {

namespace {

// Linux's delayed-ACK timeout for the peer's FIN in a request-reply
// exchange: TCP_ATO_MIN (HZ/25). tcp_event_data_recv starts icsk_ack.ato
// there and raises it only while segments come closer together than it;
// tcp_send_delayed_ack bounds a raised one by the smoothed RTT, itself at
// least TCP_DELACK_MIN (also 40 ms). A function: an ns3::Time made during
// static initialisation may come before ns-3's own time resolution is set.
ns3::Time fin_ack_delay() { return ns3::MilliSeconds(40); }

// A node's configured socket, never bound, which every new socket of the
// node copies. Configuring a socket through ns-3's attribute system (the
// socket's, its congestion control's, its RTT estimator's defaults) costs
// three times what copying one does, and a mail makes several connections.
// Aggregated to the node, so it goes away with it.
class TcpSocketPrototype : public ns3::Object {
 public:
  static ns3::TypeId GetTypeId() {
    static ns3::TypeId id =
        ns3::TypeId("tether::sim::TcpSocketPrototype").SetParent<ns3::Object>().SetGroupName("Tether");
    return id;
  }

  ns3::Ptr<LinuxLikeTcpSocket> socket;

 protected:
  void DoDispose() override {
    socket = nullptr;  // it holds the node: let the two go
    ns3::Object::DoDispose();
  }
};

// What TcpL4Protocol::CreateSocket does, minus its last step: CreateSocket
// also adds the socket to the protocol's socket list, where one never bound
// would stay until the simulation ends (only a bound socket is removed).
ns3::Ptr<LinuxLikeTcpSocket> configure_socket(const ns3::Ptr<ns3::Node>& node) {
  ns3::Ptr<ns3::TcpL4Protocol> tcp = node->GetObject<ns3::TcpL4Protocol>();
  ns3::TypeIdValue rtt_type, congestion_type, recovery_type;
  tcp->GetAttribute("RttEstimatorType", rtt_type);
  tcp->GetAttribute("SocketType", congestion_type);
  tcp->GetAttribute("RecoveryType", recovery_type);
  ns3::ObjectFactory rtt, congestion, recovery;
  rtt.SetTypeId(rtt_type.Get());
  congestion.SetTypeId(congestion_type.Get());
  recovery.SetTypeId(recovery_type.Get());
  ns3::Ptr<LinuxLikeTcpSocket> socket = ns3::CreateObject<LinuxLikeTcpSocket>();
  socket->SetNode(node);
  socket->SetTcp(tcp);
  socket->SetRtt(rtt.Create<ns3::RttEstimator>());
  socket->SetCongestionControlAlgorithm(congestion.Create<ns3::TcpCongestionOps>());
  socket->SetRecoveryAlgorithm(recovery.Create<ns3::TcpRecoveryOps>());
  return socket;
}

}  // namespace

ns3::Ptr<ns3::TcpSocketBase> LinuxLikeTcpSocket::create(ns3::Ptr<ns3::Node> node) {
  ns3::Ptr<TcpSocketPrototype> prototype = node->GetObject<TcpSocketPrototype>();
  if (!prototype) {
    prototype = ns3::CreateObject<TcpSocketPrototype>();
    prototype->socket = configure_socket(node);
    node->AggregateObject(prototype);
  }
  // As TcpSocketBase::Fork copies a listener: the copy makes its own
  // congestion control, recovery and RTT estimator from the prototype's.
  return ns3::CopyObject<LinuxLikeTcpSocket>(prototype->socket);
}

ns3::Ptr<ns3::TcpSocketBase> LinuxLikeTcpSocket::Fork() { return ns3::CopyObject<LinuxLikeTcpSocket>(this); }

namespace {

// Every live socket of this type, so that a bind can find the TIME_WAIT
// connections holding its address (TcpL4Protocol keeps its list private).
// ns-3 runs on one thread.
std::unordered_set<LinuxLikeTcpSocket*>& live_sockets() {
  static std::unordered_set<LinuxLikeTcpSocket*> sockets;
  return sockets;
}

}  // namespace

LinuxLikeTcpSocket::LinuxLikeTcpSocket(const LinuxLikeTcpSocket& other)
    : ns3::TcpSocketBase(other), syn_schedule_(other.syn_schedule_) {
  live_sockets().insert(this);
}

LinuxLikeTcpSocket::~LinuxLikeTcpSocket() { live_sockets().erase(this); }

std::size_t LinuxLikeTcpSocket::end_time_wait(const ns3::Ptr<ns3::Node>& node, const ns3::Address& local) {
  std::vector<ns3::Ptr<LinuxLikeTcpSocket>> ending;
  for (LinuxLikeTcpSocket* s : live_sockets()) {
    if (s->m_node != node || s->m_state != TIME_WAIT) continue;
    bool same = false;
    if (ns3::InetSocketAddress::IsMatchingType(local) && s->m_endPoint) {
      const ns3::InetSocketAddress a = ns3::InetSocketAddress::ConvertFrom(local);
      same = s->m_endPoint->GetLocalPort() == a.GetPort() &&
             (a.GetIpv4() == ns3::Ipv4Address::GetAny() || s->m_endPoint->GetLocalAddress() == a.GetIpv4());
    } else if (ns3::Inet6SocketAddress::IsMatchingType(local) && s->m_endPoint6) {
      const ns3::Inet6SocketAddress a = ns3::Inet6SocketAddress::ConvertFrom(local);
      same = s->m_endPoint6->GetLocalPort() == a.GetPort() &&
             (a.GetIpv6() == ns3::Ipv6Address::GetAny() || s->m_endPoint6->GetLocalAddress() == a.GetIpv6());
    }
    if (same) ending.emplace_back(s);  // a reference: closing may drop the last other one
  }
  for (const ns3::Ptr<LinuxLikeTcpSocket>& s : ending) {
    ns3::Simulator::Cancel(s->m_timewaitEvent);
    s->CloseAndNotify();  // what the 2 MSL timer does; releases the endpoint
  }
  return ending.size();
}

ns3::Ptr<ns3::Packet> LinuxLikeTcpSocket::Recv(std::uint32_t max_size, std::uint32_t flags) {
  ns3::Ptr<ns3::Packet> packet = ns3::TcpSocketBase::Recv(max_size, flags);
  if (!packet || packet->GetSize() == 0) return packet;
  // Only while the peer may still send.
  if (m_state != ESTABLISHED && m_state != FIN_WAIT_1 && m_state != FIN_WAIT_2) return packet;
  if (m_tcb->m_rxBuffer->GotFin()) return packet;
  std::uint32_t advertised = m_advWnd;  // what our last segment carried
  std::uint32_t window =
      static_cast<std::uint32_t>(m_tcb->m_rxBuffer->MaxRxSequence() - m_tcb->m_rxBuffer->NextRxSequence());
  // "Lots" is at least twice, as in Linux; and never less than a segment,
  // so that the update does not itself invite silly-window sends.
  if (window >= 2 * advertised && window >= m_tcb->m_segmentSize) SendEmptyPacket(ns3::TcpHeader::ACK);
  return packet;
}

int LinuxLikeTcpSocket::Close() {
  // Behaviour 6: the app read what came with the peer's FIN and closes from
  // its receive callback, before ns-3 has processed the FIN. After
  // ShutdownSend a Close sends nothing new (the FIN went, or goes with the
  // last data), and ns-3's own DoPeerClose calls it then.
  if (fin_in_established_ && !m_shutdownSend) {
    close_held_ = true;
    return 0;
  }
  closed_by_app_ = true;
  if (m_tcb->m_rxBuffer->Size() > 0 && (m_state == ESTABLISHED || m_state == CLOSE_WAIT)) {
    abort();
    return 0;
  }
  return ns3::TcpSocketBase::Close();
}

int LinuxLikeTcpSocket::ShutdownSend() {
  int result = ns3::TcpSocketBase::ShutdownSend();
  bool all_sent = m_txBuffer->SizeFromSequence(m_tcb->m_nextTxSequence) == 0;
  if (result == 0 && all_sent && m_txBuffer->Size() > 0 && (m_state == ESTABLISHED || m_state == CLOSE_WAIT)) {
    // As ns-3's own Close() does in this situation (DoClose).
    SendEmptyPacket(ns3::TcpHeader::FIN);
    m_state = m_state == ESTABLISHED ? FIN_WAIT_1 : LAST_ACK;
  }
  return result;
}

void LinuxLikeTcpSocket::ReceivedData(ns3::Ptr<ns3::Packet> packet, const ns3::TcpHeader& header) {
  if (!closed_by_app_ || packet->GetSize() == 0) {
    ns3::TcpSocketBase::ReceivedData(packet, header);
    return;
  }
  // Nobody will read this. The abort waits for the end of the current
  // event: the caller (ProcessWait) goes on using the connection's state.
  if (abort_scheduled_) return;
  abort_scheduled_ = true;
  ns3::Simulator::ScheduleNow(&LinuxLikeTcpSocket::abort, ns3::Ptr<LinuxLikeTcpSocket>(this));
}

void LinuxLikeTcpSocket::DoForwardUp(ns3::Ptr<ns3::Packet> packet, const ns3::Address& from,
                                     const ns3::Address& to) {
  ns3::Ptr<LinuxLikeTcpSocket> keep(this);  // closing may drop the last other reference
  ns3::TcpHeader header;
  packet->PeekHeader(header);
  fin_in_established_ = (header.GetFlags() & ns3::TcpHeader::FIN) && m_state == ESTABLISHED;
  ns3::TcpSocketBase::DoForwardUp(packet, from, to);
  fin_in_established_ = false;
  close_after_segment();
}

void LinuxLikeTcpSocket::close_after_segment() {
  if (!close_held_) return;
  close_held_ = false;
  Close();
}

bool LinuxLikeTcpSocket::delay_fin_ack() {
  // Both ACKs ns-3 sends for it (ReceivedData's, as the FIN "filled a
  // gap", and DoPeerClose's) come while the FIN's segment is processed.
  if (!fin_in_established_ || !m_tcb->m_rxBuffer->Finished()) return false;
  // __tcp_ack_snd_check: more than a full segment not yet acknowledged is
  // acknowledged now, FIN or not (the FIN takes one sequence number).
  const std::int64_t unacknowledged = std::int64_t(m_tcb->m_rxBuffer->NextRxSequence() - m_highTxAck) - 1;
  if (unacknowledged > std::int64_t(m_tcb->m_segmentSize)) return false;
  // tcp_send_delayed_ack: a delayed ACK already due sooner keeps its time.
  if (!m_delAckEvent.IsRunning() || ns3::Simulator::GetDelayLeft(m_delAckEvent) > fin_ack_delay()) {
    m_delAckEvent.Cancel();
    m_delAckEvent = ns3::Simulator::Schedule(fin_ack_delay(), &LinuxLikeTcpSocket::DelAckTimeout, this);
  }
  return true;
}

void LinuxLikeTcpSocket::SendEmptyPacket(std::uint8_t flags) {
  if (flags == ns3::TcpHeader::ACK && delay_fin_ack()) return;
  // A SYN+ACK (a listener's answer, a simultaneous open) keeps ns-3's own
  // schedule.
  const bool active_open_syn = (flags & ns3::TcpHeader::SYN) && !(flags & ns3::TcpHeader::ACK);
  if (!active_open_syn) {
    ns3::TcpSocketBase::SendEmptyPacket(flags);
    return;
  }
  // Connect sends the first SYN before it enters SYN_SENT; the timer
  // finds the socket there.
  const bool retransmission = m_state == SYN_SENT;
  const ns3::Time now = ns3::Simulator::Now();
  if (!retransmission) {
    // tcp_connect: the timer starts at tcp_timeout_init().
    syn_retransmits_ = 0;
    syn_rto_ = syn_schedule_.initial_rto;
  } else {
    // tcp_retransmit_timer: tcp_write_timeout first. retrans_stamp is set
    // by the first retransmission (tcp_retransmit_skb); with Linux's
    // defaults the count gives up first anyway.
    const Duration since =
        syn_retransmits_ == 0 ? Duration::zero()
                              : Duration::nanoseconds((now - first_syn_retransmit_at_).GetNanoSeconds());
    if (syn_schedule_.gives_up(syn_retransmits_, since)) {
      // tcp_write_err: ETIMEDOUT. What ns-3 does when its own count runs out.
      m_rtt->Reset();
      NotifyConnectionFailed();
      m_state = CLOSED;
      DeallocateEndPoint();
      return;
    }
    // tcp_update_rto_stats, then the retransmission and the next timeout.
    ++syn_retransmits_;
    if (syn_retransmits_ == 1) first_syn_retransmit_at_ = now;
    syn_rto_ = syn_schedule_.next_rto(syn_rto_, syn_retransmits_);
  }
  // ns-3's own SYN count, set so that it neither gives up nor backs off by
  // more than one step, and still tells a retransmitted SYN from the first
  // (its RTT history follows Karn's rule); its timer is re-armed below.
  m_synRetries = 2;
  m_synCount = retransmission ? 1 : 2;
  ns3::TcpSocketBase::SendEmptyPacket(flags);
  if (!m_retxEvent.IsRunning()) return;  // nothing sent (no endpoint)
  m_retxEvent.Cancel();
  m_rto = ns3::NanoSeconds(syn_rto_.ns());
  m_retxEvent = ns3::Simulator::Schedule(m_rto.Get(), &LinuxLikeTcpSocket::SendEmptyPacket, this, flags);
}

void LinuxLikeTcpSocket::abort() {
  if (m_state == CLOSED || m_state == LISTEN || m_state == TIME_WAIT) return;
  SendRST();  // also releases the endpoint
  CancelAllTimers();
  CloseAndNotify();
}

void LinuxLikeTcpSocket::PersistTimeout() {
  // ns-3 arms the timer on any segment that leaves the peer's window at
  // zero, in any state: seen on a restarted relay's listener, which a
  // segment of a connection from before the restart reached (tether-sim
  // backup-mx-fallback --set events.1.at=9h --set duration=10h crashed).
  if (m_txBuffer->SizeFromSequence(m_tcb->m_nextTxSequence) == 0) return;
  ns3::TcpSocketBase::PersistTimeout();
}

}  // namespace tether::sim
