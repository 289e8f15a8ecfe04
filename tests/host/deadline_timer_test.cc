// host/deadline_timer on the manual-clock Host: it fires at the deadline it
// was last given, and a re-arm at the deadline it already waits for costs
// no Host call.

#include <boost/test/unit_test.hpp>

#include <memory>

#include "host/deadline_timer.h"
#include "support/manual_host.h"
#include "support/manual_world.h"

using namespace tether;
using namespace tether::testing;

namespace {

// A timer on a manual clock that counts its firings.
struct CountingTimer {
  ManualWorld world;
  ManualHost host{world};
  int fired = 0;
  DeadlineTimer timer{host, [this] { ++fired; }};
  const Time start = world.now();
};

}  // namespace

BOOST_AUTO_TEST_SUITE(deadline_timer)

BOOST_FIXTURE_TEST_CASE(follows_the_deadline_and_skips_unchanged_ones, CountingTimer) {
  BOOST_TEST(!timer.armed());

  timer.arm_at(start + Duration::seconds(5));
  const std::uint64_t arms = host.timer_arms();
  timer.arm_at(start + Duration::seconds(5));  // unchanged: skipped
  BOOST_TEST(host.timer_arms() == arms);
  BOOST_TEST(timer.deadline() == start + Duration::seconds(5));

  timer.arm_at(start + Duration::seconds(3));  // moved: re-armed
  BOOST_TEST(host.timer_arms() == arms + 1);
  world.run_until(start + Duration::seconds(4));
  BOOST_TEST(fired == 1);
  BOOST_TEST(!timer.armed());  // it fired

  // The same deadline after it fired is a new arm, not a skip.
  timer.arm_at(start + Duration::seconds(3));
  BOOST_TEST(timer.armed());
  world.run_for(Duration::seconds(1));
  BOOST_TEST(fired == 2);
}

BOOST_FIXTURE_TEST_CASE(never_disarms, CountingTimer) {
  timer.arm_at(start + Duration::seconds(1));
  timer.arm_at(Time::never());
  BOOST_TEST(!timer.armed());
  world.run_for(Duration::seconds(2));
  BOOST_TEST(fired == 0);
  timer.arm_at(start + Duration::seconds(3));
  timer.cancel();
  world.run_for(Duration::seconds(2));
  BOOST_TEST(fired == 0);
}

BOOST_AUTO_TEST_CASE(the_callback_may_rearm_or_destroy_it) {
  ManualWorld world;
  ManualHost host(world);
  int fired = 0;
  std::unique_ptr<DeadlineTimer> timer;
  timer = std::make_unique<DeadlineTimer>(host, [&] {
    if (++fired < 3)
      timer->arm_at(world.now() + Duration::seconds(1));
    else
      timer.reset();
  });
  timer->arm_at(world.now() + Duration::seconds(1));
  world.run_for(Duration::seconds(10));
  BOOST_TEST(fired == 3);
  BOOST_TEST(!timer);
}

BOOST_AUTO_TEST_SUITE_END()
