#pragma once
// The world's links: point-to-point, with a rate, a one-way delay and its
// jitter (sim/world/jittered_channel.h), random per-packet loss in each
// direction (ns-3's RateErrorModel on each end's receive side, on its own
// random stream so a run repeats) and outages (sim/world/link_outage.h).
// A preset names the 4G link a home may have.

#include <cstdint>
#include <memory>
#include <string>

#include <ns3/net-device-container.h>
#include <ns3/node.h>
#include <ns3/point-to-point-net-device.h>

#include "core/time.h"
#include "scenario/world_links.h"
#include "sim/world/link_outage.h"

namespace tether::sim {

struct LinkConfig {
  std::string data_rate = "100Mbps";  // ns-3 DataRate syntax
  Duration delay = Duration::milliseconds(5);  // one way; the mean when jittered
  // The std-dev of each packet's delay (zero: every packet takes `delay`).
  Duration jitter = Duration::zero();
  // With jitter, may a packet overtake the one sent before it?
  bool reorder = false;
  // Probability that a packet is lost, each direction independently.
  double loss = 0.0;
  // The device transmit queue, in packets.
  std::uint32_t queue_packets = 100;

  // The scenario world's link (scenario/world_links.h), as ns-3 builds it.
  static LinkConfig from(const scenario::WorldLink& link);
  // The world's default 4G uplink (scenario/world_links.cc says where its
  // figures come from). tests/sim/world/link_test.cc pings it.
  static LinkConfig lte();
};

struct PointToPointLink {
  ns3::NetDeviceContainer devices;
  std::unique_ptr<LinkOutage> outage;

  ns3::Ptr<ns3::PointToPointNetDevice> device(std::size_t end) const;
};

// Links `a` (end 0) and `b` (end 1). The loss models draw from ns-3 random
// streams `stream` and `stream` + 1, the jitter from `stream` + 2 and + 3:
// give each link four. Give the nodes an Internet stack and addresses
// afterwards, as with PointToPointHelper.
PointToPointLink build_point_to_point_link(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b, const LinkConfig& config,
                                           std::int64_t stream);

}  // namespace tether::sim
