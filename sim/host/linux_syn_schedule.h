#pragma once
// When Linux retransmits an unanswered SYN and when its connect() fails
// with ETIMEDOUT (a blackholed peer), as LinuxLikeTcpSocket replays it.
// From net/ipv4/tcp_timer.c (Linux 6.5 onwards, where
// net.ipv4.tcp_syn_linear_timeouts appeared; the schedule is the same in
// 6.18, the kernel the issue measured on):
//
//  - tcp_connect arms the retransmit timer with tcp_timeout_init(), 1 s
//    (TCP_TIMEOUT_INIT, RFC 6298 2.1).
//  - Each expiry runs tcp_retransmit_timer: first tcp_write_timeout, which
//    in SYN_SENT gives up once icsk_retransmits >= tcp_syn_retries +
//    tcp_syn_linear_timeouts, or (retransmits_timed_out) once the time since
//    the first SYN reaches tcp_model_timeout(tcp_syn_retries, 1 s): the
//    time the classic doubling schedule would take, (2^(n+1) - 1) s up to
//    TCP_RTO_MAX. Otherwise tcp_update_rto_stats counts the retransmission
//    (icsk_retransmits, total_rto), the SYN goes out again, and the timeout
//    doubles (capped at TCP_RTO_MAX, 120 s) only once total_rto exceeds
//    tcp_syn_linear_timeouts; before that it stays at the initial RTO.
//
// With Linux's defaults (6 retries, 4 linear timeouts): SYNs at 0, 1, 2, 3,
// 4, 5, 7, 11, 19, 35 and 67 s (11 in all), and the connect fails at 131 s
// (its count limit; the time limit, 127 s, is only looked at when the timer
// fires). The measurement (6.18, these sysctls) counted 11 SYNs to
// a blackholed MX. A published capture on 6.12 with the same sysctls reads
// intervals of 1.02 s x5, then 2.02, 4.19, 8.19, 16.13 and 32.26 s, and
// ETIMEDOUT after 133-135 s: real timers fire a little late, the longer
// ones more (the timer wheel's coarser outer levels). Not modelled here:
// the simulated timers fire on time.

#include <cstdint>

#include "core/time.h"

namespace tether::sim {

struct LinuxSynSchedule {
  // TCP_RTO_MAX (include/net/tcp.h).
  static constexpr Duration kRtoMax = Duration::seconds(120);

  // net.ipv4.tcp_syn_retries and net.ipv4.tcp_syn_linear_timeouts, with
  // Linux's defaults (tcp_sk_init in net/ipv4/tcp_ipv4.c; include/net/tcp.h
  // TCP_SYN_RETRIES).
  std::uint32_t syn_retries = 6;
  std::uint32_t linear_timeouts = 4;
  // tcp_timeout_init(): TCP_TIMEOUT_INIT.
  Duration initial_rto = Duration::seconds(1);

  // tcp_write_timeout in SYN_SENT, when the timer fires after `retransmits`
  // retransmissions, `since_first_syn` after the first SYN.
  bool gives_up(std::uint32_t retransmits, Duration since_first_syn) const;
  // The timeout armed after retransmission number `retransmits` (1 for the
  // first; Linux's total_rto once counted), `rto` being the one that just
  // expired.
  Duration next_rto(Duration rto, std::uint32_t retransmits) const;
  // tcp_model_timeout(sk, syn_retries, initial_rto).
  Duration model_timeout() const;
};

}  // namespace tether::sim
