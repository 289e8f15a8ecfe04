#include "pcap/timeline_render_thread.h"

#include <utility>

namespace tether::pcap {

TimelineRenderThread::TimelineRenderThread(TimelineTable& table) : table_(table) {
  thread_ = std::thread([this] { run(); });
}

TimelineRenderThread::~TimelineRenderThread() { finish(); }

void TimelineRenderThread::add(std::vector<TimelineEvent>& found) {
  if (batch_.empty()) {
    std::swap(batch_, found);  // the usual case: a whole batch, taken as it is
  } else {
    for (TimelineEvent& e : found) batch_.push_back(std::move(e));
    found.clear();
  }
  if (batch_.size() >= kBatch) send_batch();
  // A rendered batch goes back in `found`: its events' memory serves the
  // caller's next ones (timeline.h, TimelineEventSink), and they are freed
  // on the thread that allocated them (freed here, glibc's malloc handed
  // their memory back through its slow paths).
  std::lock_guard<std::mutex> lock(mutex_);
  if (!spare_.empty()) {
    found.swap(spare_.back());
    spare_.pop_back();
  }
}

void TimelineRenderThread::send_batch() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return queued_.size() < kMaxQueued; });
  queued_.push_back(std::move(batch_));
  batch_.clear();
  changed_.notify_all();
}

void TimelineRenderThread::finish() {
  if (!thread_.joinable()) return;
  if (!batch_.empty()) send_batch();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void TimelineRenderThread::run() {
  for (;;) {
    std::vector<TimelineEvent> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return !queued_.empty() || closing_; });
      if (queued_.empty()) return;  // closing, and everything rendered
      batch = std::move(queued_.front());
      queued_.pop_front();
      changed_.notify_all();
    }
    for (const TimelineEvent& e : batch) table_.add(e);
    std::lock_guard<std::mutex> lock(mutex_);
    spare_.push_back(std::move(batch));
  }
}

}  // namespace tether::pcap
