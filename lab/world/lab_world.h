#pragma once
// The namespace world of a scenario, made real: one network namespace per
// host, submission node and router (world_plan.h), a veth pair per link
// with the simulation's addresses and routes, the gateway's NAT as an
// nftables table with the scenario's conntrack timeouts (nat_plan.h), and
// the zone served by a dnsmasq in each host's namespace (zone_config.h),
// each namespace with its own /etc/netns/NS/resolv.conf (127.0.0.1), which
// `ip netns exec` puts in place of /etc/resolv.conf.
//
// Everything is recorded before it is made (world_record.h) and removed by
// the destructor, by tear_down(), by the signal path (signal_cleanup.h) or,
// after a crash, by remove_leftovers(prefix). Needs root.
//
// Not here: shaping links (lab/shaping/; LabWorldOptions::shape_link is
// where a link's shape is applied), running tetherd, events (isp-change,
// link-down, ... change what build() made), the 4G failover.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "lab/world/command.h"
#include "lab/world/hand_plan.h"
#include "lab/world/nat_plan.h"
#include "lab/world/world_plan.h"
#include "lab/world/world_record.h"
#include "scenario/scenario.h"

namespace tether::lab {

class LabWorld;

struct LabWorldOptions {
  // The run's prefix of every name, as new_run_prefix() makes them (the
  // clean-up finds namespaces by it); empty: a new one.
  std::string prefix;
  // Called once per link, in plan order, when both ends are up and numbered:
  // where lab/shaping applies the scenario's delay, jitter, loss and rate
  // (link.spec and link.shape_key say what the simulation would use). What
  // it makes in the link's namespaces goes with them; anything else it
  // makes goes through world.record().make(). Unset: links are unshaped.
  std::function<Result<void>(LabWorld& world, const PlannedLink& link)> shape_link;
  // Serve the zone (dnsmasq in each host's namespace).
  bool serve_dns = true;
};

class LabWorld {
 public:
  // Refuses a scenario the lab cannot realise (the NAT; every reason, each
  // naming its field) before making anything. On any other failure what was
  // made is removed and the error says which step failed.
  static Result<std::unique_ptr<LabWorld>> build(const scenario::Scenario& scenario, LabWorldOptions options = {});
  // A world with no scenario behind it (hand_plan.h), made and removed the
  // same way; its zone is served only if it has records. scenario() then
  // holds only that zone.
  static Result<std::unique_ptr<LabWorld>> build(const HandPlan& hand, LabWorldOptions options = {});
  ~LabWorld();
  LabWorld(const LabWorld&) = delete;
  LabWorld& operator=(const LabWorld&) = delete;

  // Removes the world (idempotent); returns what could not be removed.
  std::vector<std::string> tear_down();

  const scenario::Scenario& scenario() const { return *scenario_; }
  const WorldPlan& plan() const { return plan_; }
  const std::string& prefix() const { return plan_.prefix; }
  const std::optional<NatPlan>& nat() const { return nat_; }
  WorldRecord& record() { return *record_; }
  // A node's namespace ("carinho", "gateway", "internet", "sender-submission").
  std::string namespace_of(const std::string& node) const { return plan_.namespace_of(node); }
  // The zone's dnsmasq configuration, and the pid file of a host's dnsmasq
  // (recorded): where lab/events rewrites the zone and restarts the
  // daemons on dns-set/dns-remove.
  std::filesystem::path zone_config_path() const { return record_->directory() / "zone.conf"; }
  std::filesystem::path dnsmasq_pidfile(const std::string& node) const {
    return record_->directory() / ("dnsmasq-" + node + ".pid");
  }
  // Runs argv in a node's namespace, with its resolv.conf.
  CommandResult run_in(const std::string& node, const std::vector<std::string>& argv) const;

 private:
  LabWorld(std::unique_ptr<scenario::Scenario> scenario, WorldPlan plan, std::optional<NatPlan> nat,
           std::unique_ptr<WorldRecord> record);
  static Result<std::unique_ptr<LabWorld>> make(std::unique_ptr<scenario::Scenario> scenario, WorldPlan plan,
                                                std::optional<NatPlan> nat, const LabWorldOptions& options);
  Result<void> make_namespaces();
  Result<void> make_links();
  Result<void> number_nodes();
  Result<void> shape_links(const LabWorldOptions& options);
  Result<void> make_nat();
  Result<void> serve_zone();
  Result<void> run(const std::vector<std::string>& argv, const std::string& step) const;

  // The world's own copy: the plan points into it.
  std::unique_ptr<scenario::Scenario> scenario_;
  WorldPlan plan_;
  std::optional<NatPlan> nat_;
  std::unique_ptr<WorldRecord> record_;
};

}  // namespace tether::lab
