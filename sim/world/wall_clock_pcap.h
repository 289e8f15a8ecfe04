#pragma once
// A pcap of one point-to-point device whose timestamps are the world's wall
// clock (the scenario's epoch + simulated time), so that tshark shows a
// capture as of the date the scenario runs on, not 1970.
//
// The same capture as ns-3's PointToPointHelper::EnablePcap(file, device,
// false, true) (point-to-point-helper.cc, EnablePcapInternal: a DLT_PPP
// file on the device's PromiscSniffer trace), with only the timestamp moved:
// PcapHelper's DefaultSink stamps Simulator::Now(), which counts from 0.
//
// A classic pcap record holds seconds as an unsigned 32-bit count, so a
// capture can only stamp times up to 2106-02-07T06:28:15Z.

#include <filesystem>

#include <ns3/point-to-point-net-device.h>

#include "core/error.h"
#include "core/time.h"

namespace tether::sim {

// The last wall time a classic pcap record can carry.
constexpr WallTime kLastPcapTime = WallTime::from_unix_seconds(0xffffffffLL);

// Starts capturing `device` into `file` (replaced if it exists). `epoch` is
// the wall time at simulated time 0; every packet the device sends or
// receives is stamped epoch + Simulator::Now().
Result<void> capture_at_wall_clock(const ns3::Ptr<ns3::PointToPointNetDevice>& device,
                                   const std::filesystem::path& file, WallTime epoch);

}  // namespace tether::sim
