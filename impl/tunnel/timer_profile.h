#pragma once
// Where the WireGuard implementation a host stands for times its packets
// differently from Linux's drivers/net/wireguard (the reference the
// timers in timers.h follow). Only differences read in the sources are
// here; the timer granularity itself (jiffies, hz ticks) belongs to the
// host's clock, not to this sans-IO core.
//
//  - Jitter of the retransmit and new-handshake timers. Linux
//    (timers.c: wg_timers_handshake_initiated, wg_timers_data_sent) adds
//    get_random_u32_below(REKEY_TIMEOUT_JITTER_MAX_JIFFIES) jiffies, HZ/3:
//    whole jiffies, which the host's tick stands for, so it is drawn here
//    continuous in [0, 1/3 s). OpenBSD (sys/net/if_wg.c:
//    wg_timers_event_handshake_initiated, wg_timers_event_data_sent) adds
//    arc4random_uniform(REKEY_TIMEOUT_JITTER) whole milliseconds, 0..333,
//    armed with timeout_add_msec. (wireguard-go, device/timers.go:
//    timersHandshakeInitiated, timersDataSent, draws whole milliseconds
//    below RekeyTimeoutJitterMaxMs = 334 too, on Go's timers.)
//  - The responder's confirmation. When the first packet on a responder's
//    new keypair arrives, Linux (receive.c: wg_packet_consume_data_done)
//    calls wg_timers_handshake_complete and sends only what is staged
//    (wireguard-go's receive.go likewise: timersHandshakeComplete, then
//    SendStagedPackets).
//    OpenBSD's wg_decap takes noise_remote_decrypt's ECONNRESET to
//    wg_timers_event_handshake_complete, which runs
//    wg_timers_run_send_keepalive: the responder answers the confirmation
//    with a keepalive (or its staged packets). smtp-over-wireguard.txt
//    shows it: initiation, response, the initiator's keepalive nonce 0,
//    then the responder's keepalive nonce 0.
//
// Unchanged between them (same functions on both sides): the persistent
// keepalive re-armed on every authenticated packet traversal, the passive
// keepalive at KEEPALIVE_TIMEOUT, the retry count, the initiator's
// keepalive after the response.

#include <string_view>

#include "core/time.h"

namespace tether::tunnel {

struct TimerProfile {
  std::string_view name;
  // The rekey jitter: uniform in [0, jitter_max), in steps of jitter_step
  // (zero: continuous).
  Duration jitter_max;
  Duration jitter_step;
  // The responder sends a keepalive when the initiator confirms a session.
  bool keepalive_on_confirmation = false;

  static const TimerProfile& linux_kernel();
  static const TimerProfile& openbsd();
};

}  // namespace tether::tunnel
