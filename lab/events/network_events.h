#pragma once
// The scenario's network events made on a LabWorld, each as the simulation
// makes it (sim/scenario_world.cc, apply) and written as the same events.csv
// rows (EventSink):
//
//   link-down/link-up  a blackhole: an nftables netdev table at both ends'
//                      ingress drops every packet but ARP/ND (neighbours stay
//                      resolved, so no router answers host unreachable); the
//                      interfaces stay up, so no host notices
//                      (sim/world/link_outage.h). Targets: a
//                      host (its link; the home's is the LAN), uplink, lte, lan.
//   isp-change         the gateway's uplink moves to the event's address, or
//                      to the next one the simulation draws (isp_draws.h); the
//                      NAT's flows on the old address are deleted first (rows
//                      nat-mapping-flushed ... address-change); the ISP router
//                      routes the new address down the line and blackholes the
//                      old one (sim/world/isp.cc); with a delegated prefix it
//                      moves too (isp_prefix.cc). Rows isp-address, isp-prefix.
//   nat-flush          `conntrack -F` in the gateway (rows per mapping, then
//                      nat-flush).
//   dns-set/-remove    the zone changed, rewritten and every dnsmasq restarted
//                      (dnsmasq re-reads no MX on SIGHUP).
//   4G failover        with an lte link: the uplink down for
//                      nat.failover_detection moves the default route to 4G,
//                      back when it has been up as long; the left uplink's
//                      flows are deleted (sim/world/uplink_failover.cc).
//                      Row uplink-switch.
// Also periodic ISP changes (isp.change_every, first_change) are
// isp-change events the scheduler makes (event_scheduler.h).
//
// Not thread-safe: the scheduler calls everything from its one thread,
// as the node handlers it calls must (stop-node's link blackhole is
// set_link_down).

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "lab/events/event_sink.h"
#include "lab/events/isp_draws.h"
#include "lab/world/lab_world.h"

namespace tether::lab {

class NetworkEvents {
 public:
  using Now = std::function<Time()>;
  // Runs `action` `after` from now, on the caller's thread (the scheduler).
  using Defer = std::function<void(Duration after, std::function<void()> action)>;

  NetworkEvents(LabWorld& world, EventSink& sink, Now now, Defer defer);

  // Whether `action` is one of the network events this class makes.
  static bool handles(scenario::EventAction action);
  // Makes the event; a step that fails is a row "event-failed" with the
  // command's error (the run goes on, as the simulation's would).
  void apply(const scenario::EventSpec& event);

  // A link blackholed (true) or restored; "event-ignored" for no such link.
  void set_link_down(const std::string& target, bool down);
  // The uplink to `to`, or to the simulation's next draw.
  void change_isp_address(std::optional<IpAddress> to);

  IpAddress isp_address() const { return isp_address_; }
  std::optional<IpPrefix> delegated_prefix() const { return prefix_; }
  bool on_lte() const { return on_backup_; }
  // Every failed step so far, one line each.
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  const PlannedLink* link_of(const std::string& target) const;
  bool run(const std::string& node, const std::vector<std::string>& argv);
  // Deletes the NAT's flows (those to `reply_destination`, or all), after
  // writing a nat-mapping-flushed row for each mapping among them.
  void flush_flows(const std::optional<IpAddress>& reply_destination, const std::string& cause);
  void change_prefix();
  void on_uplink_state(bool up);
  void use_lte(bool backup);
  void set_dns(const scenario::EventSpec& event);
  void restart_zone();

  LabWorld& world_;
  EventSink& sink_;
  Now now_;
  Defer defer_;
  IpAddress isp_address_;
  std::optional<IspAddressDraws> address_draws_;
  std::optional<IpPrefix> prefix_;
  std::optional<IspPrefixDraws> prefix_draws_;
  std::vector<scenario::DnsRecordSpec> zone_;
  std::set<std::string> down_;  // links blackholed now, by name
  bool on_backup_ = false;
  std::uint64_t failover_generation_ = 0;
  std::vector<std::string> problems_;
};

}  // namespace tether::lab
