#pragma once
// Host::create_timer on the ns-3 scheduler, on the node's clock
// (node_clock.h): a deadline in the node's time runs on its tick.

#include <functional>
#include <memory>

#include "host/host.h"
#include "sim/host/node_clock.h"
#include "sim/host/node_loop.h"

namespace tether::sim {

class Ns3Timer : public Timer {
 public:
  Ns3Timer(std::shared_ptr<NodeLoop> loop, std::shared_ptr<const NodeClock> clock, std::function<void()> on_fire);

  // Time::never() disarms: it is what a core's next_deadline() says when it
  // has nothing to wait for, and an ns-3 event at the end of time would only
  // keep the simulator from running dry.
  void arm_at(Time deadline) override;
  void cancel() override;
  bool armed() const override;

 private:
  void fire();

  std::shared_ptr<NodeLoop> loop_;
  std::shared_ptr<const NodeClock> clock_;
  std::function<void()> on_fire_;
  NodeLoop::Event event_;  // destroyed first: cancels before on_fire_ goes
};

}  // namespace tether::sim
