#pragma once
// The world's links: point-to-point, with a rate, a one-way delay, random
// per-packet loss in each direction (ns-3's RateErrorModel on each end's
// receive side, on its own random stream so a run repeats) and outages
// (sim/world/link_outage.h). Presets name the links a home has: a wired uplink
// and a 4G one.

#include <cstdint>
#include <memory>
#include <string>

#include <ns3/net-device-container.h>
#include <ns3/node.h>
#include <ns3/point-to-point-net-device.h>

#include "core/time.h"
#include "sim/world/link_outage.h"

namespace tether::sim {

struct LinkConfig {
  std::string data_rate = "100Mbps";  // ns-3 DataRate syntax
  Duration delay = Duration::milliseconds(5);
  // Probability that a packet is lost, each direction independently.
  double loss = 0.0;
  // The device transmit queue, in packets.
  std::uint32_t queue_packets = 100;

  // A 4G uplink: ~130 ms each way, so that with the rest of a path the
  // round trip is the ~270 ms of the seed's pings over 4G
  // (smtp-over-ipsec.txt); slower than the wired line.
  static LinkConfig lte();
};

struct PointToPointLink {
  ns3::NetDeviceContainer devices;
  std::unique_ptr<LinkOutage> outage;

  ns3::Ptr<ns3::PointToPointNetDevice> device(std::size_t end) const;
};

// Links `a` (end 0) and `b` (end 1). The loss models draw from ns-3 random
// streams `stream` and `stream` + 1. Give the nodes an Internet stack and
// addresses afterwards, as with PointToPointHelper.
PointToPointLink build_point_to_point_link(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b, const LinkConfig& config,
                                           std::int64_t stream);

}  // namespace tether::sim
