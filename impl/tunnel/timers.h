#pragma once
// A peer's WireGuard timers (whitepaper 6; Linux timers.c, wireguard-go
// timers.go), as deadlines rather than kernel timers: the device calls the
// hooks below where Linux calls wg_timers_*, asks next_deadline(), and when
// that time comes takes the expired timers one by one and acts on them.
//
//  - retransmit_handshake: REKEY_TIMEOUT (5 s) + jitter after an initiation
//    is sent, if no response completed it: send another. A series gives up
//    when the timer expires with more than MAX_TIMER_HANDSHAKES (90 s / 5 s
//    = 18) retries already made: as in Linux and wireguard-go that is 20
//    initiations in all, the last retry ~95 s and the give-up ~100 s (plus
//    jitter) after the first. Staged packets are then dropped.
//  - send_keepalive (passive keepalive): KEEPALIVE_TIMEOUT (10 s) after
//    authenticated data was received with nothing sent back since; if more
//    data arrived meanwhile, once more 10 s later.
//  - new_handshake: KEEPALIVE_TIMEOUT + REKEY_TIMEOUT (15 s) + jitter after
//    data was sent, unless any authenticated packet came back: the peer is
//    gone or lost our keys, start a new handshake.
//  - persistent_keepalive: the configured interval after the last
//    authenticated packet sent or received (it fires only after that much
//    silence, so NAT mappings stay open); 0 is off.
//  - zero_key_material: 3 x REJECT_AFTER_TIME (540 s) after the latest
//    session was derived, erase every key. That deadline is the Session's
//    (Session::install arms it as Linux's wg_timers_session_derived does,
//    Session::arm_zeroing on give-up); Peer merges it into its own
//    next_deadline() so there is one source of truth for it.
//
// The jitter, 0 to 1/3 s as Linux's REKEY_TIMEOUT_JITTER_MAX_JIFFIES (HZ/3),
// comes from the injected RandomSource, in the steps of the implementation
// the host stands for (timer_profile.h: OpenBSD draws whole milliseconds).
//
// Also kept here, because the timers' rules depend on them: the handshake
// attempt counter, the "at most one initiation per REKEY_TIMEOUT" rate
// limit (Linux last_sent_handshake) and the once-per-session flag of the
// receive-side rekey at REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT -
// REKEY_TIMEOUT (165 s; Linux sent_lastminute_handshake).

#include <array>
#include <cstdint>
#include <iosfwd>
#include <optional>

#include "core/time.h"
#include "tunnel/protocol_constants.h"
#include "tunnel/random_source.h"
#include "tunnel/timer_profile.h"

namespace tether::tunnel {

// Retries of one handshake series before the device gives up (Linux MAX_TIMER_HANDSHAKES).
constexpr int kMaxTimerHandshakes = int(kRekeyAttemptTime.ns() / kRekeyTimeout.ns());  // 18
// Jitter on the retransmit and new-handshake timers: [0, this).
constexpr Duration kRekeyTimeoutJitterMax = Duration::nanoseconds(1000'000'000 / 3);

class PeerTimers {
 public:
  enum class Timer : std::uint8_t { retransmit_handshake, send_keepalive, new_handshake, persistent_keepalive };
  static constexpr std::size_t kTimerCount = 4;

  // --- hooks, named after Linux's wg_timers_* ---
  // An authenticated data packet (not a keepalive) was sent.
  void data_sent(Time now, RandomSource& random, const TimerProfile& profile = TimerProfile::linux_kernel());
  // An authenticated data packet (not a keepalive) was received.
  void data_received(Time now);
  // Any authenticated packet (data, keepalive, initiation, response) was sent.
  void any_authenticated_packet_sent();
  // Any authenticated packet was received.
  void any_authenticated_packet_received();
  // Any authenticated packet is about to be sent or was received.
  void any_authenticated_packet_traversal(Time now);
  // An initiation was sent.
  void handshake_initiated(Time now, RandomSource& random,
                           const TimerProfile& profile = TimerProfile::linux_kernel());
  // A response was received, or the first packet on a responder's keypair.
  void handshake_complete();
  // The retransmit timer found the attempts exhausted.
  void handshake_given_up();

  // --- persistent keepalive ---
  // Zero turns it off. Turning it on makes it due at once (Linux sends a
  // keepalive when the interval is set), which also brings the tunnel up.
  void set_persistent_keepalive(Duration interval, Time now);
  Duration persistent_keepalive() const { return persistent_interval_; }

  // --- handshake bookkeeping ---
  // Linux rate-limits initiations to one per REKEY_TIMEOUT, counting
  // responses we sent too (a responder must not start its own handshake
  // while the initiator is still confirming ours).
  bool handshake_recently_sent(Time now) const;
  void handshake_message_sent(Time now) { last_handshake_sent_ = now; }
  int attempts() const { return attempts_; }
  void reset_attempts() { attempts_ = 0; }
  // Called by the retransmit expiry: true if the series must give up,
  // otherwise counts one more retry.
  bool next_attempt_or_give_up();
  bool sent_lastminute_handshake() const { return sent_lastminute_handshake_; }
  void set_sent_lastminute_handshake() { sent_lastminute_handshake_ = true; }

  // --- deadlines ---
  Time next_deadline() const;
  Time deadline(Timer timer) const { return deadlines_[std::size_t(timer)]; }
  bool pending(Timer timer) const { return !deadline(timer).is_never(); }
  // The earliest timer due at `now`, disarmed; nullopt if none is.
  std::optional<Timer> take_expired(Time now);
  // After send_keepalive expired: whether to arm it once more (more data
  // arrived while it was pending), as Linux's timer_need_another_keepalive.
  void after_send_keepalive_expired(Time now);
  // Disarms everything (peer removed).
  void stop();

 private:
  void arm(Timer timer, Time at) { deadlines_[std::size_t(timer)] = at; }
  void disarm(Timer timer) { deadlines_[std::size_t(timer)] = Time::never(); }
  static Duration jitter(RandomSource& random, const TimerProfile& profile);

  std::array<Time, kTimerCount> deadlines_{Time::never(), Time::never(), Time::never(), Time::never()};
  Duration persistent_interval_ = Duration::zero();
  bool need_another_keepalive_ = false;
  int attempts_ = 0;
  bool sent_lastminute_handshake_ = false;
  std::optional<Time> last_handshake_sent_;
};

const char* to_string(PeerTimers::Timer timer);
std::ostream& operator<<(std::ostream& os, PeerTimers::Timer timer);

}  // namespace tether::tunnel
