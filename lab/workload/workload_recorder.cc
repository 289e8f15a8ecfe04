#include "lab/workload/workload_recorder.h"

#include <algorithm>

#include "node/mail_relay_events.h"

namespace tether::lab {

WorkloadRecorder::WorkloadRecorder(scenario::Metrics& metrics, const scenario::HostSpec& home, Time start)
    : metrics_(metrics), home_(home), start_(start) {}

Time WorkloadRecorder::relative(Time steady) const {
  if (steady.is_never()) return steady;
  return Time::zero() + (steady - start_);
}

void WorkloadRecorder::on_submitted(const scenario::Submission& submission) {
  scenario::Submission s = submission;
  s.submitted = relative(s.submitted);
  s.finished = relative(s.finished);
  std::lock_guard<std::mutex> lock(mutex_);
  metrics_.on_submitted(s);
}

void WorkloadRecorder::on_delivery(const MaildirDelivery& d) {
  node::MailRelayEvent event;
  event.kind = node::MailRelayEvent::Kind::delivered;
  event.time = relative(d.seen);
  event.path = d.path;
  event.detail = d.path.string();
  std::lock_guard<std::mutex> lock(mutex_);
  if (!d.problem.empty()) {
    unmatched_.push_back(d.problem);
  } else {
    const auto& messages = metrics_.messages();
    if (std::none_of(messages.begin(), messages.end(),
                     [&](const scenario::MessageRecord& m) { return m.message_id == d.message_id; }))
      unmatched_.push_back(d.path.string() + ": Message-ID " + d.message_id + " was not submitted by the workload");
  }
  metrics_.on_relay_event(home_, event, nullptr);
}

std::vector<std::string> WorkloadRecorder::unmatched() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unmatched_;
}

void WorkloadRecorder::with_metrics(const std::function<void(scenario::Metrics&)>& use) {
  std::lock_guard<std::mutex> lock(mutex_);
  use(metrics_);
}

}  // namespace tether::lab
