#pragma once
// tether-lab --pcap: every link end captured inside its namespace into
// OUT/pcap/LINK-N.pcap (N: 0 the host's or the gateway's end, 1 the other,
// the simulation's names: sim/scenario_world_topology.cc), stamped on the
// scenario's clock (epoch + time since the run's start), as the simulation
// stamps its captures, so that `tether-pcap timeline OUT` reads a lab run as
// it reads a simulated one. Each host's tunnel key log is copied beside them
// (lab_run.cc) as NAME-wg-keys.log.
//
// A capture shows what the simulation's does (ns-3's
// PointToPointNetDevice: a packet on the sending end as it starts on the
// wire, on the receiving end when it arrives, after the link's delay, and
// never one the receiving end's error model drops, loss or blackhole alike,
// which it applies before its sniffer, in Receive). The packet socket alone
// cannot: it taps a frame as it enters the receiving namespace
// (__netif_receive_skb_core hands it to the taps first), before the
// blackhole's netdev ingress drop and before the delay line in PREROUTING.
// So an end with a delay line (ShapedLink::to() is that end) takes
//  - what it sends from the packet socket (the frames from its own
//    address), stamped by the kernel as the frame leaves;
//  - the IP packets it receives from the delay line, each stamped when the
//    line lets it in (ShapedLink::set_release_tap), rebuilt into their
//    Ethernet frames (released_frame.h): a packet the line drops as lost,
//    or the blackhole drops before it, is not there;
//  - any other frame it receives (ARP, which the lab neither delays nor
//    blackholes) from the packet socket.
// An end without a delay line (a link without delay or loss, a submission
// link, the netem path, where the delay sits on the sender) is captured
// whole from the packet socket, which is then what the end gets, except
// for what a blackhole drops. Both sources are merged in time order
// (ordered_pcap_writer.h).

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "lab/shaping/shaped_link.h"
#include "lab/world/lab_world.h"

namespace tether::lab {

// One link end to capture: its file name (without .pcap) and where it is.
struct CaptureEnd {
  std::string name;
  std::string netns;
  std::string interface;
};

// Every link end of the world, by the simulation's names.
std::vector<CaptureEnd> capture_ends(const LabWorld& world);

class LinkCaptures {
 public:
  // Opens every capture (returns once each listens); `zero` is the run's
  // start, `epoch` the scenario's clock at it. `delay_lines`: the world's
  // shaped link directions, installed with copy_packets so that they can
  // hand over what they let in; each stays alive until stop().
  static Result<std::unique_ptr<LinkCaptures>> start(const std::vector<CaptureEnd>& ends,
                                                     const std::vector<ShapedLink*>& delay_lines,
                                                     const std::filesystem::path& pcap_dir, WallTime epoch,
                                                     std::chrono::system_clock::time_point zero);
  static Result<std::unique_ptr<LinkCaptures>> start(const LabWorld& world, const std::vector<ShapedLink*>& delay_lines,
                                                     const std::filesystem::path& pcap_dir,
                                                     std::chrono::system_clock::time_point zero);
  ~LinkCaptures();  // stop()
  LinkCaptures(const LinkCaptures&) = delete;
  LinkCaptures& operator=(const LinkCaptures&) = delete;
  // The ends whose incoming packets come from their delay line.
  std::vector<std::string> delayed_ends() const;
  // Stops and closes every capture; returns the problems (one line each).
  std::vector<std::string> stop();

 private:
  struct End;
  LinkCaptures() = default;
  std::vector<std::unique_ptr<End>> ends_;
};

}  // namespace tether::lab
