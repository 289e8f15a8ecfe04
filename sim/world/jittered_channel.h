#pragma once
// A point-to-point channel whose one-way delay varies per packet, as a real
// path's does (a 4G radio's scheduling, queues along the way): each packet
// is delayed by `mean` plus a normal draw of std-dev `jitter`, cut at
// three std-devs and never below zero. Unless `reorder` is set, a packet
// arrives no earlier than the one sent before it in its direction, as on a
// single path (it waits for it: delay = max(drawn, previous arrival)).
// Each direction draws from its own ns-3 random stream, so a run repeats
// with its seed.

#include <array>
#include <cstdint>

#include <ns3/nstime.h>
#include <ns3/point-to-point-channel.h>
#include <ns3/random-variable-stream.h>

#include "core/time.h"

namespace tether::sim {

class JitteredChannel : public ns3::PointToPointChannel {
 public:
  static ns3::TypeId GetTypeId();
  JitteredChannel();

  void configure(Duration mean, Duration jitter, bool reorder);
  // Direction 0 (from the first device attached) draws from `stream`,
  // direction 1 from `stream` + 1.
  void assign_streams(std::int64_t stream);

  bool TransmitStart(ns3::Ptr<const ns3::Packet> p, ns3::Ptr<ns3::PointToPointNetDevice> src,
                     ns3::Time tx_time) override;

 private:
  ns3::Time draw_delay(std::size_t direction);

  ns3::Time mean_;
  double jitter_ns_ = 0;
  bool reorder_ = false;
  std::array<ns3::Ptr<ns3::NormalRandomVariable>, 2> normal_;
  std::array<ns3::Time, 2> last_arrival_;
};

}  // namespace tether::sim
