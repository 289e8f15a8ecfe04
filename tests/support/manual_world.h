#pragma once
// A manual clock and event queue shared by ManualHosts, with an in-memory
// network between them. Nothing happens until a test advances time, so core
// and app tests are deterministic and take no wall time: a 90 s handshake
// give-up runs in microseconds.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "core/endpoint.h"
#include "core/time.h"

namespace tether::testing {

class ManualHost;

class ManualWorld {
 public:
  using EventId = std::uint64_t;

  ManualWorld() = default;
  ManualWorld(const ManualWorld&) = delete;
  ManualWorld& operator=(const ManualWorld&) = delete;

  Time now() const { return now_; }

  // Events at the same time run in the order they were scheduled.
  EventId schedule(Time at, std::function<void()> fn);
  void cancel(EventId id);
  bool pending(EventId id) const { return events_by_id_.count(id) != 0; }

  // Runs the earliest event, moving the clock to its time; false if none.
  bool step();
  // Runs every event due up to `deadline`, then sets the clock to it.
  void run_until(Time deadline);
  void run_for(Duration span) { run_until(now_ + span); }
  // Runs events until done() or `limit` passes; returns done().
  bool run_until(const std::function<bool()>& done, Duration limit);
  std::size_t pending_events() const { return queue_.size(); }

  // One-way delay for packets and stream bytes between (and within) hosts.
  void set_latency(Duration latency) { latency_ = latency; }
  Duration latency() const { return latency_; }

  // The host that owns `address` (loopback addresses resolve to `from`).
  ManualHost* host_for(const IpAddress& address, ManualHost* from) const;
  void attach(ManualHost* host);
  void detach(ManualHost* host);

 private:
  using Key = std::tuple<std::int64_t, std::uint64_t>;  // (time, sequence)
  Time now_ = Time::zero();
  std::uint64_t next_id_ = 1;
  std::map<Key, std::pair<EventId, std::function<void()>>> queue_;
  std::map<EventId, Key> events_by_id_;
  Duration latency_ = Duration::zero();
  std::set<ManualHost*> hosts_;
};

}  // namespace tether::testing
