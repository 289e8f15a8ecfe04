#pragma once
// A home's own traffic, as real homes have (an NTP poll, a monitoring
// check): without PersistentKeepalive it is all that opens the NAT mapping
// and brings the tunnel up.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/time.h"
#include "host/host.h"
#include "scenario/scenario.h"

namespace tether::scenario {

// The home's own traffic through the tunnel (scenario.h HomeActivitySpec):
// one UDP datagram to `to` every interval, from a socket on the home's Host,
// routed into the tunnel by the AllowedIPs route like any app's packet.
class HomeActivity {
 public:
  HomeActivity(Host& host, const HomeActivitySpec& spec);
  ~HomeActivity();
  HomeActivity(const HomeActivity&) = delete;
  HomeActivity& operator=(const HomeActivity&) = delete;

  void start();
  std::uint64_t sent() const { return sent_; }
  std::function<void(const std::string& detail)> on_sent;

 private:
  void send();

  Host& host_;
  HomeActivitySpec spec_;
  std::unique_ptr<UdpSocket> socket_;
  std::unique_ptr<Timer> timer_;
  Time first_ = Time::zero();
  std::uint64_t sent_ = 0;
};

}  // namespace tether::scenario
