#include "sim/world/jittered_channel.h"

#include <algorithm>

#include <ns3/point-to-point-net-device.h>
#include <ns3/simulator.h>

#include "sim/host/node_loop.h"

namespace tether::sim {

NS_OBJECT_ENSURE_REGISTERED(JitteredChannel);

ns3::TypeId JitteredChannel::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::JitteredChannel")
                               .SetParent<ns3::PointToPointChannel>()
                               .SetGroupName("Tether")
                               .AddConstructor<JitteredChannel>();
  return tid;
}

JitteredChannel::JitteredChannel() {
  for (auto& n : normal_) n = ns3::CreateObject<ns3::NormalRandomVariable>();
}

void JitteredChannel::configure(Duration mean, Duration jitter, bool reorder) {
  mean_ = to_ns3(mean);
  // The base's own delay, unused here, still says the mean to whoever asks.
  SetAttribute("Delay", ns3::TimeValue(mean_));
  jitter_ns_ = double(jitter.ns());
  reorder_ = reorder;
}

void JitteredChannel::assign_streams(std::int64_t stream) {
  for (std::size_t d = 0; d < normal_.size(); ++d) normal_[d]->SetStream(stream + std::int64_t(d));
}

ns3::Time JitteredChannel::draw_delay(std::size_t direction) {
  // A standard normal cut at +-3 (ns-3 redraws outside the bound), scaled.
  const double z = normal_[direction]->GetValue(0.0, 1.0, 3.0);
  const double ns = std::max(0.0, double(mean_.GetNanoSeconds()) + z * jitter_ns_);
  return ns3::NanoSeconds(std::int64_t(ns + 0.5));
}

bool JitteredChannel::TransmitStart(ns3::Ptr<const ns3::Packet> p, ns3::Ptr<ns3::PointToPointNetDevice> src,
                                    ns3::Time tx_time) {
  // The direction is the sending device's end; the other end receives once
  // the last bit has crossed (tx_time) after this packet's delay.
  const std::size_t direction = src == GetSource(0) ? 0 : 1;
  ns3::Ptr<ns3::PointToPointNetDevice> dst = GetDestination(std::uint32_t(direction));
  const ns3::Time now = ns3::Simulator::Now();
  ns3::Time arrival = now + tx_time + draw_delay(direction);
  if (!reorder_) arrival = std::max(arrival, last_arrival_[direction]);
  last_arrival_[direction] = arrival;
  ns3::Simulator::ScheduleWithContext(dst->GetNode()->GetId(), arrival - now, &ns3::PointToPointNetDevice::Receive,
                                      dst, p->Copy());
  return true;
}

}  // namespace tether::sim
