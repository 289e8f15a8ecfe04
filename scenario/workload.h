#pragma once
// The scenario's workload submitted the way a user's mail client hands mail
// over: through a real SMTP session (the smtp::ClientSession core over a
// Host TcpStream) to the sender's relay, each message of the plan
// (workload_plan.h) at its time. In the ns-3 world it runs on the sender's
// hidden submission node (sim/scenario_world.h).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/time.h"
#include "host/host.h"
#include "scenario/workload_plan.h"

namespace tether::scenario {

struct Submission {
  std::uint64_t index = 0;
  std::string message_id;  // with the angle brackets
  Time submitted;          // when the SMTP session started
  Time finished = Time::never();
  bool accepted = false;
  std::string error;       // when not accepted
};

class Workload {
 public:
  // `host` is the submission node's; `server` the sender relay's listener.
  Workload(Host& host, Endpoint server, WorkloadPlan plan);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Schedules every submission (times relative to now).
  void start();
  // The same, times relative to `origin`, a run's time zero that may have
  // passed already (the lab's: its daemons start after it); a due time
  // already past is submitted at once.
  void start_at(Time origin);
  const std::vector<Submission>& submissions() const { return submissions_; }
  std::function<void(const Submission&)> on_submitted;  // accepted or not

 private:
  class Session;
  void submit(std::uint64_t index);

  Host& host_;
  Endpoint server_;
  WorkloadPlan plan_;
  std::unique_ptr<Timer> timer_;
  std::uint64_t next_ = 0;
  std::vector<Submission> submissions_;
  std::vector<std::unique_ptr<Session>> sessions_;
};

}  // namespace tether::scenario
