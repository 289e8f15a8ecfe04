// PeerTimers on its own: each Linux hook arms or disarms what timers.c
// does, with the same durations and jitter bounds, and the bookkeeping
// (attempts, rate limit) counts as Linux and wireguard-go count.

#include "tunnel/timers.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "tunnel/print_optional.h"
#include "tunnel/scripted_random.h"

using namespace tether;
using namespace tether::tunnel;
using Timer = PeerTimers::Timer;

namespace {
const Time t0 = Time::from_ns(std::int64_t(1000) * 1000'000'000);
}

BOOST_AUTO_TEST_SUITE(peer_timers)

BOOST_AUTO_TEST_CASE(nothing_armed_at_first) {
  PeerTimers timers;
  BOOST_TEST(timers.next_deadline().is_never());
  BOOST_TEST(!timers.take_expired(t0 + Duration::days(1)).has_value());
}

BOOST_AUTO_TEST_CASE(retransmit_is_rekey_timeout_plus_jitter) {
  testing::ScriptedRandom random(7);
  for (int i = 0; i < 200; ++i) {
    PeerTimers timers;
    timers.handshake_initiated(t0, random);
    const Duration wait = timers.deadline(Timer::retransmit_handshake) - t0;
    BOOST_TEST(wait >= kRekeyTimeout);
    BOOST_TEST(wait < kRekeyTimeout + Duration::milliseconds(334));
  }
}

// OpenBSD's if_wg.c: REKEY_TIMEOUT * 1000 + arc4random_uniform(334) ms,
// for retries and for the new-handshake timer alike (timer_profile.h).
BOOST_AUTO_TEST_CASE(openbsd_jitter_is_whole_milliseconds_below_334) {
  testing::ScriptedRandom random(11);
  Duration smallest = Duration::infinite(), largest = Duration::zero();
  for (int i = 0; i < 400; ++i) {
    PeerTimers timers;
    timers.handshake_initiated(t0, random, TimerProfile::openbsd());
    timers.data_sent(t0, random, TimerProfile::openbsd());
    const Duration retry = timers.deadline(Timer::retransmit_handshake) - t0 - kRekeyTimeout;
    const Duration fresh = timers.deadline(Timer::new_handshake) - t0 - kRekeyTimeout - kKeepaliveTimeout;
    for (Duration j : {retry, fresh}) {
      BOOST_TEST(j.ns() % 1000'000 == 0);
      BOOST_TEST(j >= Duration::zero());
      BOOST_TEST(j <= Duration::milliseconds(333));
      smallest = std::min(smallest, j);
      largest = std::max(largest, j);
    }
  }
  BOOST_TEST(smallest < Duration::milliseconds(10));
  BOOST_TEST(largest > Duration::milliseconds(320));
  // Linux's draw is not in whole milliseconds (the host's jiffy quantizes it).
  PeerTimers linux_timers;
  std::size_t whole = 0;
  for (int i = 0; i < 20; ++i) {
    linux_timers.handshake_initiated(t0, random);
    whole += (linux_timers.deadline(Timer::retransmit_handshake) - t0).ns() % 1000'000 == 0;
  }
  BOOST_TEST(whole < 20u);
}

BOOST_AUTO_TEST_CASE(new_handshake_after_data_sent_unanswered) {
  testing::ScriptedRandom random(3);
  PeerTimers timers;
  timers.data_sent(t0, random);
  const Time due = timers.deadline(Timer::new_handshake);
  BOOST_TEST(due - t0 >= Duration::seconds(15));
  BOOST_TEST(due - t0 < Duration::seconds(15) + Duration::milliseconds(334));
  // Later data does not push it back: the first unanswered packet counts.
  timers.data_sent(t0 + Duration::seconds(3), random);
  BOOST_TEST(timers.deadline(Timer::new_handshake) == due);
  // Any authenticated packet back cancels it.
  timers.any_authenticated_packet_received();
  BOOST_TEST(!timers.pending(Timer::new_handshake));
}

BOOST_AUTO_TEST_CASE(passive_keepalive_and_need_another) {
  PeerTimers timers;
  timers.data_received(t0);
  BOOST_TEST(timers.deadline(Timer::send_keepalive) == t0 + kKeepaliveTimeout);
  timers.data_received(t0 + Duration::seconds(4));  // still pending: one more later
  BOOST_TEST(timers.deadline(Timer::send_keepalive) == t0 + kKeepaliveTimeout);
  const Time fire = t0 + kKeepaliveTimeout;
  BOOST_TEST(timers.take_expired(fire) == std::optional<Timer>(Timer::send_keepalive));
  timers.after_send_keepalive_expired(fire);
  BOOST_TEST(timers.deadline(Timer::send_keepalive) == fire + kKeepaliveTimeout);
  // Sending anything authenticated makes the keepalive pointless.
  timers.any_authenticated_packet_sent();
  BOOST_TEST(!timers.pending(Timer::send_keepalive));
}

BOOST_AUTO_TEST_CASE(persistent_keepalive_counts_from_last_traversal) {
  PeerTimers timers;
  timers.any_authenticated_packet_traversal(t0);
  BOOST_TEST(!timers.pending(Timer::persistent_keepalive));  // off
  timers.set_persistent_keepalive(Duration::seconds(25), t0);
  BOOST_TEST(timers.deadline(Timer::persistent_keepalive) == t0);  // due at once when turned on
  timers.any_authenticated_packet_traversal(t0 + Duration::seconds(7));
  BOOST_TEST(timers.deadline(Timer::persistent_keepalive) == t0 + Duration::seconds(32));
  timers.set_persistent_keepalive(Duration::zero(), t0);
  BOOST_TEST(!timers.pending(Timer::persistent_keepalive));
}

BOOST_AUTO_TEST_CASE(twenty_attempts_then_give_up) {
  // Linux and wireguard-go: give up when the timer fires with more than
  // MAX_TIMER_HANDSHAKES (18) retries made, i.e. after 1 + 19 initiations.
  BOOST_TEST(kMaxTimerHandshakes == 18);
  PeerTimers timers;
  int retries = 0;
  while (!timers.next_attempt_or_give_up()) ++retries;
  BOOST_TEST(retries == 19);
  timers.handshake_complete();
  BOOST_TEST(timers.attempts() == 0);
}

BOOST_AUTO_TEST_CASE(one_initiation_per_rekey_timeout) {
  PeerTimers timers;
  BOOST_TEST(!timers.handshake_recently_sent(t0));
  timers.handshake_message_sent(t0);
  BOOST_TEST(timers.handshake_recently_sent(t0 + kRekeyTimeout - Duration::nanoseconds(1)));
  BOOST_TEST(!timers.handshake_recently_sent(t0 + kRekeyTimeout));
}

BOOST_AUTO_TEST_CASE(expired_timers_come_out_earliest_first) {
  testing::ScriptedRandom random(1);
  PeerTimers timers;
  timers.set_persistent_keepalive(Duration::seconds(25), t0);
  timers.any_authenticated_packet_traversal(t0);  // persistent at +25
  timers.data_received(t0);                       // keepalive at +10
  timers.data_sent(t0, random);                   // new handshake at +15..15.33
  BOOST_TEST(timers.next_deadline() == t0 + Duration::seconds(10));
  const Time late = t0 + Duration::seconds(30);
  BOOST_TEST(timers.take_expired(late) == std::optional<Timer>(Timer::send_keepalive));
  BOOST_TEST(timers.take_expired(late) == std::optional<Timer>(Timer::new_handshake));
  BOOST_TEST(timers.take_expired(late) == std::optional<Timer>(Timer::persistent_keepalive));
  BOOST_TEST(!timers.take_expired(late).has_value());
  BOOST_TEST(timers.next_deadline().is_never());
}

BOOST_AUTO_TEST_SUITE_END()
