#include "tunnel/timers.h"

#include <ostream>

#include "core/bytes.h"

namespace tether::tunnel {

const char* to_string(PeerTimers::Timer timer) {
  switch (timer) {
    case PeerTimers::Timer::retransmit_handshake: return "retransmit_handshake";
    case PeerTimers::Timer::send_keepalive: return "send_keepalive";
    case PeerTimers::Timer::new_handshake: return "new_handshake";
    case PeerTimers::Timer::persistent_keepalive: return "persistent_keepalive";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, PeerTimers::Timer timer) { return os << to_string(timer); }

const TimerProfile& TimerProfile::linux_kernel() {
  static const TimerProfile profile{"linux", kRekeyTimeoutJitterMax, Duration::zero(), false};
  return profile;
}

const TimerProfile& TimerProfile::openbsd() {
  // if_wg.c: REKEY_TIMEOUT_JITTER 334, arc4random_uniform -> 0..333 ms.
  static const TimerProfile profile{"openbsd", Duration::milliseconds(334), Duration::milliseconds(1), true};
  return profile;
}

Duration PeerTimers::jitter(RandomSource& random, const TimerProfile& profile) {
  std::array<std::uint8_t, 4> bytes{};
  random.fill(MutableByteView(bytes));
  // Scaling rather than modulo: uniform over [0, steps) up to 2^-32.
  const std::uint64_t r = load_le32(bytes.data());
  if (profile.jitter_step > Duration::zero()) {
    const std::uint64_t steps = std::uint64_t(profile.jitter_max.ns() / profile.jitter_step.ns());
    return Duration::nanoseconds(std::int64_t((r * steps) >> 32) * profile.jitter_step.ns());
  }
  return Duration::nanoseconds(std::int64_t((r * std::uint64_t(profile.jitter_max.ns())) >> 32));
}

void PeerTimers::data_sent(Time now, RandomSource& random, const TimerProfile& profile) {
  if (!pending(Timer::new_handshake))
    arm(Timer::new_handshake, now + kKeepaliveTimeout + kRekeyTimeout + jitter(random, profile));
}

void PeerTimers::data_received(Time now) {
  if (!pending(Timer::send_keepalive)) arm(Timer::send_keepalive, now + kKeepaliveTimeout);
  else need_another_keepalive_ = true;
}

void PeerTimers::any_authenticated_packet_sent() { disarm(Timer::send_keepalive); }

void PeerTimers::any_authenticated_packet_received() { disarm(Timer::new_handshake); }

void PeerTimers::any_authenticated_packet_traversal(Time now) {
  if (persistent_interval_ > Duration::zero()) arm(Timer::persistent_keepalive, now + persistent_interval_);
}

void PeerTimers::handshake_initiated(Time now, RandomSource& random, const TimerProfile& profile) {
  arm(Timer::retransmit_handshake, now + kRekeyTimeout + jitter(random, profile));
}

void PeerTimers::handshake_complete() {
  disarm(Timer::retransmit_handshake);
  attempts_ = 0;
  sent_lastminute_handshake_ = false;
}

void PeerTimers::handshake_given_up() { disarm(Timer::send_keepalive); }

void PeerTimers::set_persistent_keepalive(Duration interval, Time now) {
  const bool turned_on = persistent_interval_ == Duration::zero() && interval > Duration::zero();
  persistent_interval_ = interval > Duration::zero() ? interval : Duration::zero();
  if (persistent_interval_ == Duration::zero()) disarm(Timer::persistent_keepalive);
  else if (turned_on) arm(Timer::persistent_keepalive, now);
}

bool PeerTimers::handshake_recently_sent(Time now) const {
  return last_handshake_sent_ && now < *last_handshake_sent_ + kRekeyTimeout;
}

bool PeerTimers::next_attempt_or_give_up() {
  if (attempts_ > kMaxTimerHandshakes) return true;
  ++attempts_;
  return false;
}

Time PeerTimers::next_deadline() const {
  Time earliest = Time::never();
  for (Time t : deadlines_)
    if (t < earliest) earliest = t;
  return earliest;
}

std::optional<PeerTimers::Timer> PeerTimers::take_expired(Time now) {
  std::optional<Timer> due;
  for (std::size_t i = 0; i < kTimerCount; ++i) {
    if (deadlines_[i] <= now && (!due || deadlines_[i] < deadline(*due))) due = Timer(i);
  }
  if (due) disarm(*due);
  return due;
}

void PeerTimers::after_send_keepalive_expired(Time now) {
  if (need_another_keepalive_) {
    need_another_keepalive_ = false;
    arm(Timer::send_keepalive, now + kKeepaliveTimeout);
  }
}

void PeerTimers::stop() {
  deadlines_.fill(Time::never());
  need_another_keepalive_ = false;
}

}  // namespace tether::tunnel
