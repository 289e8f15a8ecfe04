#include "sim/host/node_loop.h"

#include <utility>

#include <ns3/simulator.h>

namespace tether::sim {
namespace {

// An ns-3 event that calls a std::function, and can drop it early: a
// cancelled event stays in the scheduler's queue until its time comes, and
// its captures should not live that long.
class CallEvent : public ns3::EventImpl {
 public:
  explicit CallEvent(std::function<void()> fn) : fn_(std::move(fn)) {}
  bool ran() const { return ran_; }
  void drop() { fn_ = nullptr; }

 protected:
  void Notify() override {
    ran_ = true;
    // Moved out first: the call may destroy the Event handle that owns us,
    // and it must still see its own captures alive until it returns.
    std::function<void()> fn = std::move(fn_);
    fn_ = nullptr;
    if (fn) fn();
  }

 private:
  std::function<void()> fn_;
  bool ran_ = false;
};

}  // namespace

ns3::Time to_ns3(Duration d) { return ns3::NanoSeconds(d.ns() < 0 ? 0 : d.ns()); }

NodeLoop::Event::Event(Event&& other) noexcept : impl_(std::move(other.impl_)) { other.impl_ = nullptr; }

NodeLoop::Event& NodeLoop::Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    cancel();
    impl_ = std::move(other.impl_);
    other.impl_ = nullptr;
  }
  return *this;
}

void NodeLoop::Event::cancel() {
  if (!impl_) return;
  impl_->Cancel();
  static_cast<CallEvent*>(ns3::PeekPointer(impl_))->drop();
  impl_ = nullptr;
}

bool NodeLoop::Event::pending() const {
  return impl_ && !impl_->IsCancelled() && !static_cast<CallEvent*>(ns3::PeekPointer(impl_))->ran();
}

NodeLoop::NodeLoop(ns3::Ptr<ns3::Node> node) : node_(std::move(node)), node_id_(node_->GetId()) {}

NodeLoop::~NodeLoop() { shut_down(); }

Time NodeLoop::now() { return Time::from_ns(ns3::Simulator::Now().GetNanoSeconds()); }

NodeLoop::Event NodeLoop::schedule(Duration delay, std::function<void()> fn) const {
  // Two references: the Event handle's, and the one ScheduleWithContext
  // takes over (the scheduler drops it after running the event, or when
  // the simulator is destroyed).
  ns3::Ptr<ns3::EventImpl> impl(new CallEvent(std::move(fn)), false);
  impl->Ref();
  ns3::Simulator::ScheduleWithContext(node_id_, to_ns3(delay), ns3::PeekPointer(impl));
  return Event(std::move(impl));
}

void NodeLoop::release_later(ns3::Ptr<ns3::Object> object) {
  if (shut_down_) return;  // `object` goes now
  graveyard_.push_back(std::move(object));
  if (release_event_.pending()) return;
  release_event_ = schedule(Duration::zero(), [this] { graveyard_.clear(); });
}

void NodeLoop::shut_down() {
  shut_down_ = true;
  release_event_.cancel();
  graveyard_.clear();
}

}  // namespace tether::sim
