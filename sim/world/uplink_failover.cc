#include "sim/world/uplink_failover.h"

#include "sim/world/nat.h"
#include "sim/world/static_routes.h"

namespace tether::sim {

UplinkFailover::UplinkFailover(ns3::Ptr<ns3::Node> home, Uplink primary, Uplink backup, UplinkFailoverConfig config,
                               Nat* nat)
    : loop_(std::move(home)), primary_(primary), backup_(backup), config_(config), nat_(nat) {
  handler_id_ = primary_.link->add_state_handler([this](bool up) { on_primary_state(up); });
  on_backup_ = primary_.link->is_down();
  const Uplink& active = on_backup_ ? backup_ : primary_;
  set_default_route(loop_.node(), active.interface, active.gateway);
}

UplinkFailover::~UplinkFailover() { primary_.link->remove_state_handler(handler_id_); }

void UplinkFailover::on_primary_state(bool up) {
  // A change back before the daemon noticed the first one: nothing to do.
  pending_.cancel();
  if (up != on_backup_) return;
  pending_ = loop_.schedule(up ? config_.detect_up : config_.detect_down, [this, up] { use(!up); });
}

void UplinkFailover::use(bool backup) {
  if (backup == on_backup_) return;
  on_backup_ = backup;
  ++switches_;
  const Uplink& to = backup ? backup_ : primary_;
  const Uplink& from = backup ? primary_ : backup_;
  set_default_route(loop_.node(), to.interface, to.gateway);
  if (nat_) nat_->flush_mappings(from.interface, NatFlushCause::uplink_change);
  for (const auto& handler : handlers_) handler(backup);
}

}  // namespace tether::sim
