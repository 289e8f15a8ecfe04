#pragma once
// The delayer's decisions for each packet, apart from its I/O so that they
// can be tested without root: lost or kept, and when a kept packet may
// leave. The draws follow sim/world/jittered_channel.cc: a standard normal
// redrawn outside +-3 (ns-3's NormalRandomVariable with bound 3), scaled by
// the jitter around the mean, never below zero; unless reordering is
// allowed a packet leaves no earlier than the one admitted before it
// (due = max(drawn, previous due)). Loss is drawn here too, from the same
// seeded generator (lab/shaping/README.md says why not nftables' numgen):
// the same seed and the same packet sequence give the same decisions.

#include <cstdint>
#include <random>

#include "core/time.h"
#include "lab/shaping/link_shape.h"

namespace tether::lab {

struct PacketDecision {
  bool drop = false;
  Time due;  // when its verdict may be given (kept packets)
};

class DelaySchedule {
 public:
  DelaySchedule(const LinkShape& shape, std::uint64_t seed);

  // A packet reached the hook at `now`.
  PacketDecision admit(Time now);

 private:
  double uniform();          // [0, 1), 53 bits
  double truncated_normal(); // standard normal within +-3

  LinkShape shape_;
  // mt19937_64's output sequence is fixed by the standard; the conversion
  // to doubles below is our own, so a seed gives the same draws with any
  // standard library (std::normal_distribution's algorithm is not fixed).
  std::mt19937_64 engine_;
  Time last_due_ = Time::zero();
};

}  // namespace tether::lab
