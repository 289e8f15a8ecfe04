// MailRelay::reconfigure: a reloaded smtpd.conf applied to a running relay,
// as tunnel_reconfigure.cc is for the tunnel. OpenSMTPD has no reload (a
// new smtpd.conf takes a restart), so this is a restart inside the object:
// what is on disk survives (the queue, every accepted message, its retry
// count and next try), what is in memory does not (sessions, attempts in
// flight, route penalties, pauses). Listeners whose endpoint stays hand
// their sockets over, so a reload never refuses a connection on them.
//
// Work running off the loop is waited for first: a local delivery cut off
// after writing its file would be delivered again after the restart, and
// the new queue's recovery could miss a commit or reload a removal in
// flight. Meanwhile local deliveries are paused and new messages get a 451.

#include "node/mail_relay.h"

namespace tether::node {

Result<void> MailRelay::reconfigure(std::shared_ptr<const smtp::Config> config) {
  if (!config) return Error(ErrorCode::invalid_argument, "reconfigure: no config");
  if (!running()) {
    adopt(std::move(config));
    smtp_paused_ = false;
    return {};
  }
  const std::size_t deliveries = mda_.in_flight();
  const std::size_t writes = queue_.writes_in_flight();
  if (deliveries == 0 && writes == 0) return restart_with(std::move(config));
  log_.info("reload waits for " + std::to_string(deliveries) + " local deliveries in flight" +
            (writes ? " and " + std::to_string(writes) + " queue writes" : ""));
  pending_config_ = std::move(config);
  scheduler_.pause(smtp::DeliveryType::mda);  // forgotten with the scheduler at the restart
  if (!reload_timer_) reload_timer_ = host_.create_timer([this] { on_reload_timer(); });
  reload_timer_->arm_at(host_.now() + Duration::milliseconds(10));
  return {};
}

void MailRelay::on_reload_timer() {
  if (!pending_config_) return;
  if (running() && (mda_.in_flight() > 0 || queue_.writes_in_flight() > 0)) {
    reload_timer_->arm_at(host_.now() + Duration::milliseconds(10));
    return;
  }
  std::shared_ptr<const smtp::Config> config = std::move(pending_config_);
  pending_config_.reset();
  if (!running()) {
    adopt(std::move(config));
    return;
  }
  if (auto r = restart_with(std::move(config)); !r) log_.error("reload: " + r.error().message);
}

Result<void> MailRelay::restart_with(std::shared_ptr<const smtp::Config> config) {
  // `old` outlives handed_over_, whose listeners refer to its `listen on` lines.
  std::shared_ptr<const smtp::Config> old = config_;
  handed_over_ = std::move(listeners_);
  listeners_.clear();
  stop();
  adopt(std::move(config));
  smtp_paused_ = false;
  log_.info("reloading the config");
  Result<void> started = start();
  if (!started) {
    log_.warning("the new config does not start (" + started.error().to_string() + "); back to the old one");
    adopt(old);
    if (auto back = start(); !back) log_.error("the old config does not start either: " + back.error().to_string());
  }
  handed_over_.clear();  // sockets no listener of the running config took
  if (started) return {};
  return Error(started.error().code, "the new config does not start, the old one runs again: " + started.error().message);
}


}  // namespace tether::node
