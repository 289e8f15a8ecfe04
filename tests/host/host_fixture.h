#pragma once
// What the Host conformance suite needs from each driver's test set-up. Each
// driver (manual clock, Linux, ns-3) provides one class implementing this;
// conformance_test.cc runs the same test code against every one.

#include <functional>
#include <optional>
#include <string>

#include "host/host.h"

namespace tether::testing {

class HostFixture {
 public:
  virtual ~HostFixture() = default;

  virtual const char* driver_name() const = 0;
  virtual Host& host() = 0;

  // Runs the host's event loop until `done()` is true or `limit` of the
  // host's own time has passed; returns done(). Checks done() after every
  // callback (or at least every millisecond of host time).
  virtual bool run_until(const std::function<bool()>& done, Duration limit) = 0;

  // Runs the event loop for exactly `span` of the host's time.
  virtual void run_for(Duration span) = 0;

  // A loopback address this host can bind and reach itself on.
  virtual IpAddress loopback() const { return IpAddress::loopback(IpAddress::Family::v4); }

  // The tunnel device the round-trip test opens, and why it cannot (for
  // example, not root), in which case the test reports a skip (support/test_skip.h).
  virtual TunnelDeviceConfig tunnel_config() const {
    TunnelDeviceConfig config;
    config.name = "tthconf0";
    config.addresses.push_back(*IpPrefix::parse("198.18.0.1/24"));
    config.mtu = 1420;
    return config;
  }
  virtual std::optional<std::string> tunnel_unavailable_reason() const { return std::nullopt; }
};

}  // namespace tether::testing
