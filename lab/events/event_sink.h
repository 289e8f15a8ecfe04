#pragma once
// Where the lab's events go: the same two streams the simulation feeds its
// scenario::Metrics with (sim/scenario_runner.cc: hooks.world_event and
// hooks.nat_event), so that events.csv has the same kinds and details in
// both worlds. Times are since the run's start instant (Time::zero() + d).
//
// Called from the scheduler's thread and the conntrack reader's thread:
// MetricsSink serialises them onto one Metrics under the runner's mutex
// (the runner's other parts feed the same Metrics under it).

#include <mutex>
#include <string>

#include "core/time.h"
#include "scenario/metrics.h"

namespace tether::lab {

class EventSink {
 public:
  virtual ~EventSink() = default;
  // A row (at, "world", what, target + " " + detail), as Metrics::on_world_event.
  virtual void world_event(Time at, const std::string& what, const std::string& target, const std::string& detail) = 0;
  // A NAT mapping created, expired or flushed, as Metrics::on_nat.
  virtual void nat(const scenario::NatObservation& observation) = 0;
};

class MetricsSink : public EventSink {
 public:
  MetricsSink(scenario::Metrics& metrics, std::mutex& mutex) : metrics_(metrics), mutex_(mutex) {}
  void world_event(Time at, const std::string& what, const std::string& target, const std::string& detail) override {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_.on_world_event(at, what, target, detail);
  }
  void nat(const scenario::NatObservation& observation) override {
    std::lock_guard<std::mutex> lock(mutex_);
    metrics_.on_nat(observation);
  }

 private:
  scenario::Metrics& metrics_;
  std::mutex& mutex_;
};

}  // namespace tether::lab
