#pragma once
// A home with two uplinks, a wired line and 4G, and the failover daemon of a
// home router: when the primary line has been dead for `detect_down` the
// default route moves to the backup, and when it has been back for
// `detect_up` it moves back. The delays stand for the daemon's probing (a
// ping every few seconds, a few misses in a row); the model reads the line's
// true state instead of probing, so a flap shorter than the delay goes
// unnoticed, as it would.
//
// Each uplink has its own public address (its own ISP), so a switch costs
// every NAT mapping of the uplink left behind: flows continue from a new
// external address and port, and peers must learn it (WireGuard roaming).

#include <cstdint>
#include <functional>
#include <vector>

#include <ns3/ipv4-address.h>
#include <ns3/node.h>

#include "core/time.h"
#include "sim/world/link_outage.h"
#include "sim/host/node_loop.h"

namespace tether::sim {

class Nat;

struct Uplink {
  std::uint32_t interface = 0;  // on the home gateway
  ns3::Ipv4Address gateway;     // next hop of the default route through it
  LinkOutage* link = nullptr;   // the line whose state the daemon watches
};

struct UplinkFailoverConfig {
  Duration detect_down = Duration::seconds(10);
  Duration detect_up = Duration::seconds(10);
};

class UplinkFailover {
 public:
  using SwitchHandler = std::function<void(bool to_backup)>;

  // `home` is the NAT node (pass its Nat) or a home host with two uplinks.
  // Points the default route at the primary now, or at the backup if the
  // primary is down. `primary.link` is required and must outlive this.
  UplinkFailover(ns3::Ptr<ns3::Node> home, Uplink primary, Uplink backup, UplinkFailoverConfig config,
                 Nat* nat = nullptr);
  ~UplinkFailover();
  UplinkFailover(const UplinkFailover&) = delete;
  UplinkFailover& operator=(const UplinkFailover&) = delete;

  bool on_backup() const { return on_backup_; }
  std::uint64_t switches() const { return switches_; }
  void add_switch_handler(SwitchHandler handler) { handlers_.push_back(std::move(handler)); }

 private:
  void on_primary_state(bool up);
  void use(bool backup);

  NodeLoop loop_;
  Uplink primary_, backup_;
  UplinkFailoverConfig config_;
  Nat* nat_;
  std::uint64_t handler_id_ = 0;
  bool on_backup_ = false;
  std::uint64_t switches_ = 0;
  NodeLoop::Event pending_;
  std::vector<SwitchHandler> handlers_;
};

}  // namespace tether::sim
