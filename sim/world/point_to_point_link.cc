#include "sim/world/point_to_point_link.h"

#include <ns3/data-rate.h>
#include <ns3/double.h>
#include <ns3/drop-tail-queue.h>
#include <ns3/error-model.h>
#include <ns3/mac48-address.h>
#include <ns3/net-device-queue-interface.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/queue-size.h>
#include <ns3/string.h>

#include "sim/host/node_loop.h"
#include "sim/world/jittered_channel.h"

namespace tether::sim {

LinkConfig LinkConfig::from(const scenario::WorldLink& link) {
  LinkConfig config;
  config.data_rate = link.rate;
  config.delay = link.delay;
  config.jitter = link.jitter;
  config.reorder = link.reorder;
  config.loss = link.loss;
  return config;
}

LinkConfig LinkConfig::lte() { return from(scenario::default_world_link("lte")); }

namespace {

// What PointToPointHelper::Install does for a pair of devices (a MAC
// address each, a drop-tail queue, the queue interface the traffic-control
// layer stops and wakes, the channel attached), with our channel in place
// of ns-3's: the helper has no setter for the channel's type.
ns3::NetDeviceContainer install_jittered(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b, const LinkConfig& config,
                                         std::int64_t stream) {
  ns3::NetDeviceContainer devices;
  for (const ns3::Ptr<ns3::Node>& node : {a, b}) {
    auto device = ns3::CreateObject<ns3::PointToPointNetDevice>();
    device->SetAttribute("DataRate", ns3::DataRateValue(ns3::DataRate(config.data_rate)));
    device->SetAddress(ns3::Mac48Address::Allocate());
    node->AddDevice(device);
    auto queue = ns3::CreateObject<ns3::DropTailQueue<ns3::Packet>>();
    queue->SetMaxSize(ns3::QueueSize(ns3::QueueSizeUnit::PACKETS, config.queue_packets));
    device->SetQueue(queue);
    auto interface = ns3::CreateObject<ns3::NetDeviceQueueInterface>();
    interface->GetTxQueue(0)->ConnectQueueTraces(queue);
    device->AggregateObject(interface);
    devices.Add(device);
  }
  auto channel = ns3::CreateObject<JitteredChannel>();
  channel->configure(config.delay, config.jitter, config.reorder);
  channel->assign_streams(stream);
  for (std::uint32_t end = 0; end < 2; ++end)
    ns3::DynamicCast<ns3::PointToPointNetDevice>(devices.Get(end))->Attach(channel);
  return devices;
}

}  // namespace

ns3::Ptr<ns3::PointToPointNetDevice> PointToPointLink::device(std::size_t end) const {
  return ns3::DynamicCast<ns3::PointToPointNetDevice>(devices.Get(std::uint32_t(end)));
}

PointToPointLink build_point_to_point_link(ns3::Ptr<ns3::Node> a, ns3::Ptr<ns3::Node> b, const LinkConfig& config,
                                           std::int64_t stream) {
  ns3::PointToPointHelper helper;
  helper.SetDeviceAttribute("DataRate", ns3::StringValue(config.data_rate));
  helper.SetChannelAttribute("Delay", ns3::TimeValue(to_ns3(config.delay)));
  helper.SetQueue("ns3::DropTailQueue", "MaxSize",
                  ns3::QueueSizeValue(ns3::QueueSize(ns3::QueueSizeUnit::PACKETS, config.queue_packets)));
  PointToPointLink link;
  // A link without jitter keeps ns-3's own channel (and every figure
  // measured on it).
  link.devices = config.jitter > Duration::zero() ? install_jittered(a, b, config, stream + 2) : helper.Install(a, b);
  if (config.loss > 0) {
    for (std::uint32_t end = 0; end < 2; ++end) {
      auto loss = ns3::CreateObject<ns3::RateErrorModel>();
      loss->SetAttribute("ErrorUnit", ns3::StringValue("ERROR_UNIT_PACKET"));
      loss->SetAttribute("ErrorRate", ns3::DoubleValue(config.loss));
      loss->AssignStreams(stream + end);
      link.device(end)->SetReceiveErrorModel(loss);
    }
  }
  link.outage = std::make_unique<LinkOutage>(link.device(0), link.device(1));
  return link;
}

}  // namespace tether::sim
