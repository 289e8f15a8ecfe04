#pragma once
// What the lab's submitter and maildir watcher saw, put into the
// simulation's own scenario::Metrics, so that scenario/results_writer.h
// writes results.json, messages.csv and events.csv with the same columns:
//   - a Submission goes to Metrics::on_submitted (a refused one is
//     "submit-failed" with the server's reply, as in the simulation);
//   - a maildir file goes in as the home relay's `delivered` event with the
//     file's path (Metrics::on_relay_event reads its Message-ID and
//     Received: hops, counts copies and marks mail via the backup MX), as
//     the simulation's home MailRelay reports its local deliveries.
// Times are made relative to the run's start instant (the simulation's
// time 0). Both feeds come from other threads: every call takes a lock.
//
// Left to the runner (the seam): tunnel events, NAT observations, the
// relays' own events (the sender's first delivery attempt, from which the
// simulation measures latency; without it latency runs from the
// submission), availability samples and finish(). It reaches the same
// Metrics through with_metrics().

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "lab/workload/maildir_watcher.h"
#include "node/mail_relay_events.h"
#include "scenario/metrics.h"
#include "scenario/scenario.h"

namespace tether::lab {

class WorkloadRecorder {
 public:
  // `home` is the scenario host whose maildir is watched; `start` the run's
  // start instant on the steady clock.
  WorkloadRecorder(scenario::Metrics& metrics, const scenario::HostSpec& home, Time start);

  void on_submitted(const scenario::Submission& submission);
  void on_delivery(const MaildirDelivery& delivery);

  // Files that matched no submitted message: no Message-ID, or one the
  // workload has not (yet) sent. Reported, never fatal.
  std::vector<std::string> unmatched() const;
  void with_metrics(const std::function<void(scenario::Metrics&)>& use);
  Time relative(Time steady) const;

 private:
  scenario::Metrics& metrics_;
  const scenario::HostSpec& home_;
  Time start_;
  mutable std::mutex mutex_;
  std::vector<std::string> unmatched_;
  // Deliveries whose message's submission is not recorded yet.
  std::vector<std::pair<std::string, node::MailRelayEvent>> early_;
};

}  // namespace tether::lab
