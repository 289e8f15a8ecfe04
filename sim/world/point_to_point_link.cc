#include "sim/world/point_to_point_link.h"

#include <ns3/double.h>
#include <ns3/error-model.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/queue-size.h>
#include <ns3/string.h>

#include "sim/host/node_loop.h"

namespace tether::sim {

LinkConfig LinkConfig::lte() {
  LinkConfig config;
  config.data_rate = "10Mbps";
  config.delay = Duration::milliseconds(130);
  return config;
}

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
  link.devices = helper.Install(a, b);
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
