#pragma once
// A node's view of the ns-3 event loop. Everything Ns3Host hands back to an
// app (timers, posts, deferred socket results) runs as an ns-3 event in the
// node's context, so ns-3's logging and tracing attribute it to the node, and
// so no callback ever runs inside the call that set it up (host.h).

#include <cstdint>
#include <functional>
#include <vector>

#include <ns3/event-impl.h>
#include <ns3/node.h>
#include <ns3/object.h>
#include <ns3/ptr.h>

#include "core/time.h"

namespace tether::sim {

class NodeLoop {
 public:
  // A scheduled call. Cancelling or destroying it guarantees the call never
  // runs: Simulator::ScheduleWithContext returns no EventId, so the handle
  // keeps its own reference to the event and cancels that.
  class Event {
   public:
    Event() = default;
    Event(Event&& other) noexcept;
    Event& operator=(Event&& other) noexcept;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    ~Event() { cancel(); }

    void cancel();
    // Scheduled, not cancelled, not yet run.
    bool pending() const;

   private:
    friend class NodeLoop;
    explicit Event(ns3::Ptr<ns3::EventImpl> impl) : impl_(std::move(impl)) {}
    ns3::Ptr<ns3::EventImpl> impl_;
  };

  explicit NodeLoop(ns3::Ptr<ns3::Node> node);
  ~NodeLoop();
  NodeLoop(const NodeLoop&) = delete;
  NodeLoop& operator=(const NodeLoop&) = delete;

  const ns3::Ptr<ns3::Node>& node() const { return node_; }
  std::uint32_t node_id() const { return node_id_; }
  // Simulated time since the simulation started.
  static Time now();

  // Runs `fn` after `delay` (clamped at zero) in the node's context. Events
  // at the same instant run in the order they were scheduled.
  [[nodiscard]] Event schedule(Duration delay, std::function<void()> fn) const;

  // Keeps an ns-3 object alive until the current event has returned. A
  // TcpSocketBase that we close from inside one of its own callbacks may
  // otherwise be freed while its frames are still on the stack.
  void release_later(ns3::Ptr<ns3::Object> object);

  // Drops everything held back by release_later and cancels the pending
  // release; later releases are immediate, so that nothing is scheduled
  // into a simulator that may be gone. The host calls this when destroyed.
  void shut_down();

 private:
  ns3::Ptr<ns3::Node> node_;
  std::uint32_t node_id_;
  std::vector<ns3::Ptr<ns3::Object>> graveyard_;
  bool shut_down_ = false;
  Event release_event_;
};

ns3::Time to_ns3(Duration d);

}  // namespace tether::sim
