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
      // smtp.c, smtp_pause(): the listeners' read events are deleted, so
      // accept() is no longer called; smtp_setup_events() listens with
      // SMTPD_BACKLOG (smtpd.h: 5).
      b.pause_mode = PauseMode::stop_accepting;
      b.listen_backlog = 5;
      // mta_session.c, mta_connect(): io_set_timeout(s->io, 300000) before
      // io_connect(), one I/O timeout for the whole session; the connect
      // itself ends when the kernel gives up (ETIMEDOUT) first.
      b.connect_timeout = Duration::zero();
      b.session_timeout = Duration::seconds(300);
      // mta.c, mta_connect(): the next connection of a relay waits until
      // relay->lastconn + conndelay_relay (limit.c: 2 s), lastconn being
      // when the last one started. A session that never became ready (a
      // refused connection, a 421 greeting, a greeting that timed out)
      // disables its route in mta_route_collect (mta_route_disable, "for
      // 15s"), so the next MX is tried 2 s after the first started, or at
      // once when the failure itself took longer.
      b.route_delay = Duration::seconds(2);
      // smtp_session.c, smtp_session_init(): one io_set_timeout of
      // SMTPD_SESSION_TIMEOUT (300 s) per read, and no rate in DATA.
      b.min_data_rate = 0;
      // smtp.c, smtp_accept(): no limit per client, only smtp_can_accept()'s
      // maxsessions for all (from getdtablesize()).
      b.client_connection_limit = 0;
      break;
    case RelayProfile::postfix:
      // qmgr's backoff: a deferred message waits as long as it has been
      // queued, within minimal_backoff_time and maximal_backoff_time
      // (retry_policy.cc cites it).
      b.retry.kind = RetryPolicy::Kind::postfix;
      b.retry.interval = kPostfixMinimalBackoff;
      b.retry.max = kPostfixMaximalBackoff;
      b.early_retry = EarlyRetry::none;
      b.queue_scan = Duration::seconds(300);  // queue_run_delay
      b.tunnel_route_up = false;
      // Postfix has no `pause smtp`. The closest is its master with every
      // smtpd busy (master_avail.c, master_avail_listen(): the listener's
      // read events are disabled until a process is free): connections
      // wait in the kernel's queue, whose backlog master_listen.c sets to
      // the larger of the service's process limit and
      // default_process_limit (100).
      b.pause_mode = PauseMode::stop_accepting;
      b.listen_backlog = 100;
      // mail_params.h: smtp_connect_timeout 30s. Its per-phase timeouts
      // (smtp_helo_timeout 300s, mail and rcpt 300s, data_init 120s,
      // data_xfer 180s, data_done 600s) are ClientTimeouts' defaults, so
      // session_timeout stays unset. smtp_connect.c tries the next address
      // or MX at once within the same delivery: no route delay.
      b.connect_timeout = Duration::seconds(30);
      // smtpd_min_data_rate counts only with smtpd_per_request_deadline,
      // which is "${stress?{yes}:{no}}" (mail_params.h): off unless the
      // server is overloaded. tether keeps it on.
      b.min_data_rate = 0;
      break;
  }
  return b;
}

RelayBehaviour RelayKnobs::resolve() const {
  RelayBehaviour b = RelayBehaviour::of(profile.value_or(RelayProfile::tether));
  if (retry) b.retry = *retry;
  if (early_retry) b.early_retry = *early_retry;
  if (max_deferred) b.max_deferred = *max_deferred;
  if (queue_scan) b.queue_scan = *queue_scan;
  if (tunnel_route_up) b.tunnel_route_up = *tunnel_route_up;
  if (pause_mode) b.pause_mode = *pause_mode;
  if (listen_backlog) b.listen_backlog = *listen_backlog;
  if (connect_timeout) b.connect_timeout = *connect_timeout;
  if (session_timeout) b.session_timeout = *session_timeout;
  if (route_delay) b.route_delay = *route_delay;
  if (min_data_rate) b.min_data_rate = *min_data_rate;
  if (client_connection_limit) b.client_connection_limit = *client_connection_limit;
  if (client_connection_rate) b.client_connection_rate = *client_connection_rate;
  return b;
}

}  // namespace tether::smtp
