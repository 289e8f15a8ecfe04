#pragma once
// A Host that holds every run_blocking job until the test releases it, so a
// test can act while a commit or a local delivery is "on a worker thread":
// a client hanging up, an operator removing the envelope. Everything else
// goes to the inner host (OsSideHost forwards it all).

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "node/os_side_host.h"

namespace tether::testing {

class HeldWorkHost : public OsSideHost {
 public:
  explicit HeldWorkHost(Host& inner) : OsSideHost(inner) {}

  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    held_.emplace_back(std::move(work), std::move(done));
  }

  std::size_t held() const { return held_.size(); }
  // Hands every held job to the inner host (work inline on the manual
  // clock, done posted), in the order they came.
  void release_all() {
    auto jobs = std::move(held_);
    held_.clear();
    for (auto& [work, done] : jobs) OsSideHost::run_blocking(std::move(work), std::move(done));
  }

 private:
  std::vector<std::pair<std::function<void()>, std::function<void()>>> held_;
};

}  // namespace tether::testing
