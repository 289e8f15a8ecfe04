#pragma once
// The scenario's workload submitted over real SMTP from inside a network
// namespace (the sender's hidden submission node, as LabWorld names it):
// a thread that setns(2)es into the namespace, runs a PosixHost on its own
// io_context there, and drives scenario::Workload on it. That is the very
// code the simulation runs on its ns-3 submission node (sim/scenario_runner.cc):
// the same WorkloadPlan (due times, Message-IDs, texts, byte for byte), the
// same smtp::ClientSession, the same Submission records (a refusal or a
// connect failure is a Submission with accepted=false and its error).
//
// Times: Workload::start() is called when the steady clock reaches the run's
// start instant, so message i is submitted at start + plan.due(i); each
// Submission's `submitted` and `finished` are steady-clock Times (the clock
// PosixHost::now() reads), and lateness() says how far behind plan each
// session started.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "core/time.h"
#include "scenario/workload.h"
#include "scenario/workload_plan.h"

namespace tether::lab {

struct LabSubmitterOptions {
  std::string netns;                // `ip netns` name to submit from; empty: this process's namespace
  Endpoint server;                  // the sender relay's listener (the simulation's `submission` endpoint)
  std::string hostname;             // HELO name; the simulation's is "submission.<sender hostname>"
  std::filesystem::path storage;    // the PosixHost's storage root (unused by the workload, must exist)
  Time start;                       // the run's start instant, on the steady clock (PosixHost::now())
};

class LabSubmitter {
 public:
  // Starts the thread; fails (before any submission) when the namespace
  // cannot be entered, saying which.
  static Result<std::unique_ptr<LabSubmitter>> start(LabSubmitterOptions options, scenario::WorkloadPlan plan,
                                                     std::function<void(const scenario::Submission&)> on_submitted);
  ~LabSubmitter();  // stops the thread (sessions still open are abandoned)
  LabSubmitter(const LabSubmitter&) = delete;
  LabSubmitter& operator=(const LabSubmitter&) = delete;

  // Waits until every planned message has a result, or `limit` (real time).
  bool wait(Duration limit);
  void stop();
  // Copies, in submission order.
  std::vector<scenario::Submission> submissions() const;
  // submitted - (start + due), per submission.
  std::vector<Duration> lateness() const;
  // Set if the thread failed after start (e.g. the host could not be made).
  std::string failure() const;

 private:
  LabSubmitter(LabSubmitterOptions options, scenario::WorkloadPlan plan,
               std::function<void(const scenario::Submission&)> on_submitted);
  void run(int netns_fd);
  std::size_t done_size() const;

  LabSubmitterOptions options_;
  scenario::WorkloadPlan plan_;
  std::function<void(const scenario::Submission&)> on_submitted_;
  mutable std::mutex mutex_;
  std::vector<scenario::Submission> done_;
  std::string failure_;
  std::atomic<bool> finished_{false};
  std::atomic<bool> stopping_{false};
  std::function<void()> stop_loop_;  // set by the thread while its loop runs (under mutex_)
  std::thread thread_;
};

}  // namespace tether::lab
