#pragma once
// Rendering a timeline's rows on a thread of its own: the caller's thread
// reads and dissects the capture and hands each packet's events over (the
// TimelineEventSink of timeline.h); this thread renders them into a
// TimelineTable (timeline_format.h) and frees them. On two cores, reading
// and rendering a large capture then overlap, which is what brings
// `tether-pcap timeline` within a few times a bare libpcap loop's pace
// (bench/pcap_timeline). The rows are the same, in the same order, as
// rendering on the caller's thread.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "pcap/timeline_event.h"
#include "pcap/timeline_format.h"

namespace tether::pcap {

class TimelineRenderThread {
 public:
  explicit TimelineRenderThread(TimelineTable& table);
  ~TimelineRenderThread();  // finish()es
  TimelineRenderThread(const TimelineRenderThread&) = delete;
  TimelineRenderThread& operator=(const TimelineRenderThread&) = delete;

  // Takes the events, in order, and leaves in `found` events already
  // rendered (or nothing), for the caller to reuse or free.
  void add(std::vector<TimelineEvent>& found);
  // Returns once every event handed over is in the table; the table is the
  // caller's again.
  void finish();

 private:
  void send_batch();
  void run();

  // Events go over in batches, so that the lock is taken once per batch;
  // at most kMaxQueued wait, so that memory stays bounded when rendering is
  // the slower side.
  static constexpr std::size_t kBatch = 512, kMaxQueued = 16;

  TimelineTable& table_;
  std::vector<TimelineEvent> batch_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<TimelineEvent>> queued_;
  std::vector<std::vector<TimelineEvent>> spare_;  // rendered batches, back to the caller
  bool closing_ = false;
  std::thread thread_;
};

}  // namespace tether::pcap
