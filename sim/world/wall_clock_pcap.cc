#include "sim/world/wall_clock_pcap.h"

#include <ns3/callback.h>
#include <ns3/nstime.h>
#include <ns3/packet.h>
#include <ns3/pcap-file-wrapper.h>
#include <ns3/simulator.h>
#include <ns3/trace-helper.h>

namespace tether::sim {
namespace {

void write_at_wall_clock(ns3::Ptr<ns3::PcapFileWrapper> file, ns3::Time epoch, ns3::Ptr<const ns3::Packet> packet) {
  file->Write(epoch + ns3::Simulator::Now(), packet);
}

}  // namespace

Result<void> capture_at_wall_clock(const ns3::Ptr<ns3::PointToPointNetDevice>& device,
                                   const std::filesystem::path& file, WallTime epoch) {
  if (!device) return Error(ErrorCode::invalid_argument, "pcap " + file.string() + ": no device");
  if (epoch.unix_ns() < 0) return Error(ErrorCode::invalid_argument, "pcap " + file.string() + ": an epoch before 1970");
  ns3::PcapHelper helper;
  ns3::Ptr<ns3::PcapFileWrapper> wrapper = helper.CreateFile(file.string(), std::ios::out, ns3::PcapHelper::DLT_PPP);
  if (!wrapper || wrapper->Fail()) return Error(ErrorCode::io, "pcap " + file.string() + ": cannot create the file");
  device->TraceConnectWithoutContext(
      "PromiscSniffer", ns3::MakeBoundCallback(&write_at_wall_clock, wrapper, ns3::NanoSeconds(epoch.unix_ns())));
  return {};
}

}  // namespace tether::sim
