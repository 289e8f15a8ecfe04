#pragma once
// One interface of a test's network namespace captured twice at once: by
// dumpcap (Wireshark's capture tool, Debian package wireshark-common, which
// tshark pulls in: a pcapng) and by tether's own LiveCapture (written as a
// nanosecond pcap by PcapWriter), with the same BPF filter, so that the two
// files of the same traffic can be held against each other and each against
// tshark.
//
// Both must hold the same packets. dumpcap says "Capturing on" before its
// socket sees traffic, and it writes its file in blocks, on a timer; so the
// start and the end are marked by probe datagrams sent from inside the
// namespace (UDP to `probe_to`; the filter must let them through): ours
// opens once a start probe is in dumpcap's file, and both stop once each
// holds the end probe. The probes are no protocol's, and the files differ
// in them only (dumpcap has the start probes).

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/endpoint.h"
#include "core/error.h"
#include "pcap/live_capture.h"
#include "pcap/pcap_writer.h"
#include "pcap/timeline_event.h"
#include "support/child_process.h"
#include "support/run_process.h"

namespace tether::pcap::testing {

struct TwoCapturesOptions {
  std::string interface;  // in the namespace
  std::string filter;     // BPF, for both; must let the probes through
  Endpoint probe_to;      // reached through `interface` from inside the namespace
};

class TwoCaptures {
 public:
  // Starts dumpcap, then ours; returns once both capture.
  TwoCaptures(const std::string& ns, const tether::testing::TestDirectory& dir,
              TwoCapturesOptions options);
  // Stops whatever stop() did not (after a failed assertion).
  ~TwoCaptures();
  TwoCaptures(const TwoCaptures&) = delete;
  TwoCaptures& operator=(const TwoCaptures&) = delete;

  // Sends the end probe, waits (bounded) until both captures hold it, and
  // stops both: dumpcap with SIGINT, so that it finishes its file.
  void stop();

  const std::string& dumpcap_file() const { return dumpcap_file_; }
  const std::string& live_file() const { return live_file_; }
  int live_link_type() const { return live_ ? live_->link_type() : 0; }
  std::string dumpcap_log() { return dumpcap_ ? dumpcap_->output() : std::string(); }

 private:
  void probe(const std::string& payload);
  bool dumpcap_holds(const std::string& payload) const;
  void end_live_capture();

  std::string ns_;
  TwoCapturesOptions options_;
  std::string dumpcap_file_, live_file_;
  std::unique_ptr<tether::testing::ChildProcess> dumpcap_;
  std::unique_ptr<LiveCapture> live_;
  std::unique_ptr<PcapWriter> writer_;
  std::mutex mutex_;
  std::condition_variable end_seen_;
  bool live_has_end_ = false;
  Result<void> live_outcome_;
  std::thread loop_;  // last: started once nothing else can fail
};

// The timelines of the two files must say the same, event by event: all
// but the file, the packet numbers (dumpcap's are those of ours plus the
// start probes before them) and the time, which differs by the microseconds between the
// kernel's stamps for each capturing socket (on loopback; bounded here by
// 10 ms, far below what a misread timestamp would be off by). Packets that
// two CPUs tapped within microseconds of each other may reach the two
// sockets in opposite orders; then each event must still have its twin
// within 10 ms, said the same but for packet numbers. Returns the number
// of events compared (0 when they differ).
std::size_t expect_same_events(const std::vector<TimelineEvent>& dumpcap,
                               const std::vector<TimelineEvent>& ours);

}  // namespace tether::pcap::testing
