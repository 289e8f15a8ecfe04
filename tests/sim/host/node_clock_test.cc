// A node's clock: its rate against true time, the tick its now() reads and
// the tick its timers fire on (sim/host/node_clock.h).

#include <boost/test/unit_test.hpp>

#include "sim/host/node_clock.h"

using namespace tether;
using namespace tether::sim;

namespace {

Time at(Duration d) { return Time::zero() + d; }

}  // namespace

BOOST_AUTO_TEST_SUITE(node_clock)

BOOST_AUTO_TEST_CASE(a_fast_clock_gains_its_ppm) {
  ClockModel m;
  m.rate_error_ppb = 50'000;  // +50 ppm
  NodeClock clock(m);
  BOOST_TEST(clock.local(at(Duration::seconds(1000))).ns() == Duration::milliseconds(1000'050).ns());
  BOOST_TEST(clock.now(at(Duration::seconds(1000))).ns() == Duration::milliseconds(1000'050).ns());
  // A timer for 10 s of the node's time runs after 10 s / 1.00005 of true time.
  const Time fire = clock.fire_time(at(Duration::seconds(10)), Time::zero());
  BOOST_TEST(clock.local(fire) >= at(Duration::seconds(10)));
  BOOST_TEST(clock.local(fire - Duration::nanoseconds(1)) < at(Duration::seconds(10)));
  BOOST_TEST((fire - Time::zero()).ns() == 9'999'500'025);
}

BOOST_AUTO_TEST_CASE(now_reads_the_last_tick) {
  ClockModel m = ClockModel::openbsd_ticks();
  m.tick_offset = Duration::milliseconds(3);
  NodeClock clock(m);
  // Ticks fall at 7, 17, 27 ms of true time and read 10, 20, 30 ms.
  BOOST_TEST(clock.now(at(Duration::milliseconds(6))).ns() == 0);
  BOOST_TEST(clock.now(at(Duration::milliseconds(7))).ns() == Duration::milliseconds(10).ns());
  BOOST_TEST(clock.now(at(Duration::microseconds(16'999))).ns() == Duration::milliseconds(10).ns());
  BOOST_TEST(clock.now(at(Duration::milliseconds(17))).ns() == Duration::milliseconds(20).ns());
}

// kern_timeout.c: timeout_add(to, n) runs on the tick `ticks + n`, so a 10 s
// timeout armed 4 ms into a tick runs 9.996 s later.
BOOST_AUTO_TEST_CASE(openbsd_runs_a_timeout_on_the_tick_up_to_one_early) {
  NodeClock clock(ClockModel::openbsd_ticks());
  const Time armed = at(Duration::milliseconds(1004));
  const Time deadline = clock.now(armed) + Duration::seconds(10);
  BOOST_TEST((clock.fire_time(deadline, armed) - armed).ns() == Duration::milliseconds(9996).ns());
  // 5 s + 123 ms of jitter: the first tick at or after it.
  BOOST_TEST((clock.fire_time(clock.now(armed) + Duration::milliseconds(5123), armed) - armed).ns() ==
             Duration::milliseconds(5126).ns());
}

// kernel/time/timer.c, calc_index: a timer never runs early; the wheel puts
// it one jiffy after its expiry.
BOOST_AUTO_TEST_CASE(linux_runs_a_timer_one_jiffy_after_its_expiry) {
  NodeClock clock(ClockModel::linux_jiffies());
  const Time armed = at(Duration::milliseconds(1001));
  const Time deadline = clock.now(armed) + Duration::seconds(10);
  BOOST_TEST((clock.fire_time(deadline, armed) - armed).ns() == Duration::milliseconds(10'003).ns());
  BOOST_TEST(clock.now(clock.fire_time(deadline, armed)) > deadline);
}

BOOST_AUTO_TEST_CASE(a_deadline_already_passed_fires_now) {
  NodeClock clock(ClockModel::openbsd_ticks());
  const Time now = at(Duration::seconds(3));
  BOOST_TEST((clock.fire_time(at(Duration::seconds(1)), now) == now));
  NodeClock exact;
  BOOST_TEST((exact.fire_time(at(Duration::seconds(1)), now) == now));
  BOOST_TEST((exact.fire_time(at(Duration::seconds(5)), now) == at(Duration::seconds(5))));
}

BOOST_AUTO_TEST_SUITE_END()
