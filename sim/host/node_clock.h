#pragma once
// A simulated machine's own clock. ns-3 schedules on true time; a node reads
// its clock, which runs at (1 + e) against true time (quartz: tens of ppm),
// and a kernel reads it in ticks: Linux's jiffies, OpenBSD's `ticks`. Timers
// fire on the node's ticks, so two nodes' timers drift apart and land on
// their own tick grids, as real machines' do.
//
// What now() reports is the tick clock (the last tick's time), as the
// kernels' own timers and timestamps use it (Linux jiffies and
// ktime_get_coarse_*; OpenBSD `ticks` and getnanouptime). A timer armed for
// a deadline fires on the tick the kernel would run it on:
//  - Linux (kernel/time/timer.c, calc_index): a timer never fires early;
//    the wheel puts it one granule after its expiry, so it runs on the
//    first tick at or after the deadline, plus one (`(expires >> shift) +
//    1` at level 0). The outer levels' coarser granules (64 jiffies for a
//    10 s timer) are not modelled: the Linux-family behaviour the project
//    measured is wireguard-go's, whose Go timers have no wheel.
//  - OpenBSD (sys/kern/kern_timeout.c, timeout_add): to_time = ticks + n,
//    run on the tick that reaches to_time. Counted from the current tick,
//    that is up to one tick early against the true elapsed time: wg(4)'s
//    10 s keepalive comes "a few ms under" 10 s in smtp-over-wireguard.txt.
//    timeout_add_msec truncates n (msecs * 1000 / tick); here the deadline
//    is rounded up to the tick, at most one tick later than that.
// The wall clock runs at the same rate, from the scenario's epoch.

#include <cstdint>

#include "core/time.h"

namespace tether::sim {

enum class TickRounding : std::uint8_t {
  none,          // no tick: the clock and timers are exact
  at_tick,       // OpenBSD: the first tick at or after the deadline
  after_tick,    // Linux: the first tick at or after the deadline, plus one
};

struct ClockModel {
  // The node's clock runs at 1 + rate_error_ppb / 1e9 against true time.
  std::int64_t rate_error_ppb = 0;
  Duration tick = Duration::zero();         // zero: no tick
  Duration tick_offset = Duration::zero();  // how far into a tick the node's clock starts, [0, tick)
  TickRounding rounding = TickRounding::none;

  // Debian's kernel: CONFIG_HZ=250 (4 ms jiffies).
  static ClockModel linux_jiffies();
  // OpenBSD's hz = 100 (sys/conf/param.c: HZ 100): 10 ms ticks.
  static ClockModel openbsd_ticks();
};

class NodeClock {
 public:
  NodeClock() = default;
  explicit NodeClock(ClockModel model);

  const ClockModel& model() const { return model_; }

  // The node's clock, exact, at a true time (wall_now's base).
  Time local(Time true_time) const;
  // What the node's now() reads at a true time: the last tick's time.
  Time now(Time true_time) const;
  // The true time at which a timer armed for `deadline` (in now()'s terms)
  // runs; never before `true_now`.
  Time fire_time(Time deadline, Time true_now) const;

 private:
  // The earliest true time at which local() reaches `local_time`.
  Time true_time_of(Time local_time) const;

  ClockModel model_;
};

}  // namespace tether::sim
