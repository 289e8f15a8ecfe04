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
  // Deliveries of this message seen before its submission was recorded
  // (the relay can write the file before the client has read the 250).
  for (auto it = early_.begin(); it != early_.end();) {
    if (it->first != s.message_id) {
      ++it;
      continue;
    }
    metrics_.on_relay_event(home_, it->second, nullptr);
    it = early_.erase(it);
  }
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
                     [&](const scenario::MessageRecord& m) { return m.message_id == d.message_id; })) {
      // Not submitted yet, as far as the submitter has told: the relay may
      // have delivered it before the client read the 250. Held until its
      // submission is recorded, and unmatched if it never is.
      early_.emplace_back(d.message_id, event);
      return;
    }
  }
  metrics_.on_relay_event(home_, event, nullptr);
}

std::vector<std::string> WorkloadRecorder::unmatched() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out = unmatched_;
  for (const auto& [message_id, event] : early_)
    out.push_back(event.detail + ": Message-ID " + message_id + " was not submitted by the workload");
  return out;
}

void WorkloadRecorder::with_metrics(const std::function<void(scenario::Metrics&)>& use) {
  std::lock_guard<std::mutex> lock(mutex_);
  use(metrics_);
}

}  // namespace tether::lab
