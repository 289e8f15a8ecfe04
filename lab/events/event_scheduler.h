#pragma once
// The scenario's events at their times, in real time: each event `at` after
// a start instant (steady clock) runs on the scheduler's own thread, in
// time order and file order within a time (as the simulation's), each
// announced with the simulation's row (world, event:ACTION, TARGET DETAIL:
// sim/scenario_runner.cc) before it is made. Network events go to
// NetworkEvents; the nodes' (stop-node/start-node, pause-smtp/resume-smtp,
// change-config) to a NodeEventHandler the runner gives (lab/nodes/), or,
// without one, a row "event-ignored". The ISP's periodic changes
// (isp.change_every, first_change) run as in sim/world/isp.cc, and the 4G
// failover's delayed switches come back through the same queue. Nothing
// past the scenario's duration runs.
//
// How late each event ran is kept (lateness()): real time has no
// guarantee, and the comparison with the simulation reads it.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "lab/events/event_sink.h"
#include "lab/events/network_events.h"
#include "lab/world/lab_world.h"

namespace tether::lab {

// The seam for the events that need the nodes (lab/nodes/ implements it;
// the lab's runner wires it). Called on the scheduler's thread at the
// event's time, after its event: row; it writes its own rows (node-stopped,
// change-config-failed, ...) as sim/scenario_world.cc does. A stopped node's
// link is blackholed in the simulation: network() gives set_link_down.
class NodeEventHandler {
 public:
  virtual ~NodeEventHandler() = default;
  virtual void apply(const scenario::EventSpec& event, NetworkEvents& network) = 0;
};

struct EventLateness {
  std::string what;    // "event:link-down uplink", "isp-change (periodic)"
  Duration due;        // since the start
  Duration late;       // when it ran minus when it was due
};

class EventScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  // `nodes` may be null; it must outlive the scheduler.
  EventScheduler(LabWorld& world, EventSink& sink, NodeEventHandler* nodes = nullptr);
  ~EventScheduler();  // stop()
  EventScheduler(const EventScheduler&) = delete;
  EventScheduler& operator=(const EventScheduler&) = delete;

  // Runs the events on a thread from `zero` (the run's time zero, now or
  // earlier/later). Once.
  void start(Clock::time_point zero);
  // Stops the thread; an event running finishes first. Idempotent.
  void stop();
  // Waits until every scheduled event has run or stop() (true: all ran).
  bool wait_done(Duration timeout);

  Time now() const;
  NetworkEvents& network() { return network_; }
  std::vector<EventLateness> lateness() const;

 private:
  struct Entry {
    Duration due;
    std::uint64_t sequence;
    std::string what;
    std::function<void()> action;
    bool operator>(const Entry& o) const { return due != o.due ? due > o.due : sequence > o.sequence; }
  };
  void push(Duration due, std::string what, std::function<void()> action);
  void schedule_scenario();
  void schedule_isp_change(Duration due);
  void fire(const scenario::EventSpec& event);
  void loop();

  LabWorld& world_;
  EventSink& sink_;
  NodeEventHandler* nodes_;
  NetworkEvents network_;
  Clock::time_point zero_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> queue_;
  std::uint64_t sequence_ = 0;
  bool stopping_ = false;
  bool running_ = false;
  std::vector<EventLateness> lateness_;
  std::thread thread_;
};

}  // namespace tether::lab
