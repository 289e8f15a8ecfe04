#include "smtp/relay_profile.h"

namespace tether::smtp {

const char* to_string(RelayProfile profile) {
  switch (profile) {
    case RelayProfile::tether: return "tether";
    case RelayProfile::opensmtpd: return "opensmtpd";
    case RelayProfile::postfix: return "postfix";
  }
  return "?";
}

std::optional<RelayProfile> relay_profile_from_string(const std::string& text) {
  for (RelayProfile p : {RelayProfile::tether, RelayProfile::opensmtpd, RelayProfile::postfix})
    if (text == to_string(p)) return p;
  return std::nullopt;
}

const char* to_string(EarlyRetry mode) {
  switch (mode) {
    case EarlyRetry::on_success: return "on-success";
    case EarlyRetry::hoststat: return "hoststat";
    case EarlyRetry::none: return "none";
  }
  return "?";
}

const char* to_string(PauseMode mode) {
  switch (mode) {
    case PauseMode::reply_421: return "reply-421";
    case PauseMode::stop_accepting: return "stop-accepting";
  }
  return "?";
}

RelayBehaviour RelayBehaviour::of(RelayProfile profile) {
  RelayBehaviour b;
  switch (profile) {
    case RelayProfile::tether:
      break;
    case RelayProfile::opensmtpd:
      b.early_retry = EarlyRetry::hoststat;
      b.tunnel_route_up = false;
      b.pause_mode = PauseMode::stop_accepting;
      break;
    case RelayProfile::postfix:
      b.early_retry = EarlyRetry::none;
      b.queue_scan = Duration::seconds(300);  // queue_run_delay
      b.tunnel_route_up = false;
      b.pause_mode = PauseMode::stop_accepting;
      break;
  }
  return b;
}

RelayBehaviour RelayKnobs::resolve() const {
  RelayBehaviour b = RelayBehaviour::of(profile.value_or(RelayProfile::tether));
  if (early_retry) b.early_retry = *early_retry;
  if (max_deferred) b.max_deferred = *max_deferred;
  if (queue_scan) b.queue_scan = *queue_scan;
  if (tunnel_route_up) b.tunnel_route_up = *tunnel_route_up;
  if (pause_mode) b.pause_mode = *pause_mode;
  return b;
}

}  // namespace tether::smtp
