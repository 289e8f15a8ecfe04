#pragma once
// Host::create_timer on the ns-3 scheduler.

#include <functional>
#include <memory>

#include "host/host.h"
#include "sim/host/node_loop.h"

namespace tether::sim {

class Ns3Timer : public Timer {
 public:
  Ns3Timer(std::shared_ptr<NodeLoop> loop, std::function<void()> on_fire);

  // Time::never() disarms: it is what a core's next_deadline() says when it
  // has nothing to wait for, and an ns-3 event at the end of time would only
  // keep the simulator from running dry.
  void arm_at(Time deadline) override;
  void cancel() override;
  bool armed() const override;

 private:
  void fire();

  std::shared_ptr<NodeLoop> loop_;
  std::function<void()> on_fire_;
  NodeLoop::Event event_;  // destroyed first: cancels before on_fire_ goes
};

}  // namespace tether::sim
