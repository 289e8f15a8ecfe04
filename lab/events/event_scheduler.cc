#include "lab/events/event_scheduler.h"

namespace tether::lab {

using scenario::EventSpec;

EventScheduler::EventScheduler(LabWorld& world, EventSink& sink, NodeEventHandler* nodes)
    : world_(world),
      sink_(sink),
      nodes_(nodes),
      network_(
          world, sink, [this] { return now(); },
          [this](Duration after, std::function<void()> action) {
            push(now() - Time::zero() + after, "uplink failover", std::move(action));
          }) {}

EventScheduler::~EventScheduler() { stop(); }

Time EventScheduler::now() const {
  return Time::zero() +
         Duration::nanoseconds(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - zero_).count());
}

void EventScheduler::push(Duration due, std::string what, std::function<void()> action) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (due > world_.scenario().duration) return;  // the run is over by then
  queue_.push(Entry{due, sequence_++, std::move(what), std::move(action)});
  changed_.notify_all();
}

// The ISP's periodic changes first: the simulation schedules them while it
// builds the world, before the runner schedules the events, so at equal
// times they run first.
void EventScheduler::schedule_scenario() {
  const scenario::IspSpec& isp = world_.scenario().isp;
  if (world_.plan().isp_address && isp.change_every > Duration::zero())
    schedule_isp_change(isp.first_change.value_or(isp.change_every));
  for (const EventSpec& e : world_.scenario().events) {
    std::string what = std::string("event:") + to_string(e.action) + " " + e.target;
    push(e.at, std::move(what), [this, e] { fire(e); });
  }
}

void EventScheduler::schedule_isp_change(Duration due) {
  push(due, "isp-change (periodic)", [this, due] {
    network_.change_isp_address(std::nullopt);
    schedule_isp_change(due + world_.scenario().isp.change_every);
  });
}

void EventScheduler::fire(const EventSpec& e) {
  sink_.world_event(now(), std::string("event:") + to_string(e.action), e.target,
                    e.name.empty() ? e.value : e.name + " " + e.value);
  if (NetworkEvents::handles(e.action)) network_.apply(e);
  else if (nodes_) nodes_->apply(e, network_);
  else sink_.world_event(now(), "event-ignored", e.target, std::string(to_string(e.action)) + ": no node handler");
}

void EventScheduler::start(Clock::time_point zero) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_ || thread_.joinable()) return;
    zero_ = zero;
    running_ = true;
  }
  schedule_scenario();
  thread_ = std::thread([this] { loop(); });
}

void EventScheduler::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool EventScheduler::wait_done(Duration timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::nanoseconds(timeout.ns()), [this] { return stopping_ || !running_; });
  return !running_;
}

// One event at a time, each run without the lock (it may push follow-ups).
void EventScheduler::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_ && !queue_.empty()) {
    const Clock::time_point due = zero_ + std::chrono::nanoseconds(queue_.top().due.ns());
    if (Clock::now() < due) {
      changed_.wait_until(lock, due);
      continue;
    }
    Entry entry = queue_.top();
    queue_.pop();
    lateness_.push_back({entry.what, entry.due, now() - (Time::zero() + entry.due)});
    lock.unlock();
    entry.action();
    lock.lock();
  }
  running_ = false;
  changed_.notify_all();
}

std::vector<EventLateness> EventScheduler::lateness() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lateness_;
}

}  // namespace tether::lab
