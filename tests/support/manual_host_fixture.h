#pragma once
// The Host conformance fixture for the manual-clock driver. Its tunnel
// device's OS side answers ICMP echo requests addressed to the device, as a
// kernel would.

#include "host/host_fixture.h"
#include "support/manual_host.h"

namespace tether::testing {

class ManualHostFixture : public HostFixture {
 public:
  ManualHostFixture();
  const char* driver_name() const override { return "manual"; }
  Host& host() override { return host_; }
  bool run_until(const std::function<bool()>& done, Duration limit) override {
    return world_.run_until(done, limit);
  }
  void run_for(Duration span) override { world_.run_for(span); }

 private:
  ManualWorld world_;
  ManualHost host_;
};

}  // namespace tether::testing
