#pragma once
// Which mail server a relay behaves as: its scheduler's early retries, its
// deferred-queue scan, what `pause smtp` does to new connections, and how
// its outbound sessions time out and fall back to the next MX. tetherd is
// the `tether` profile; a scenario host that stands for OpenSMTPD or
// Postfix takes that implementation's behaviour, read from its source
// (each default below cites where).
//
// A profile only sets defaults: every knob has its own smtpd.conf keyword,
// and a knob written in the config wins over the profile, whichever of the
// two came first. The scenario's `hosts.NAME.profile` is the same as a
// `profile NAME` line in that host's smtpd.conf.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/time.h"

namespace tether::smtp {

enum class RelayProfile { tether, opensmtpd, postfix };
const char* to_string(RelayProfile profile);
std::optional<RelayProfile> relay_profile_from_string(const std::string& text);

// What a success to a destination does to that destination's other
// deferred envelopes.
enum class EarlyRetry {
  on_success,  // tether: up to max_deferred of them become due at once
  hoststat,    // OpenSMTPD: only through its host-status records (mta.c)
  none,        // Postfix: each waits for its own next try
};
const char* to_string(EarlyRetry mode);

// What a paused SMTP server (`pause smtp`) does with a new connection.
enum class PauseMode {
  reply_421,       // tether: greet it with 421 and close
  stop_accepting,  // OpenSMTPD's smtp_pause(): accept() stops; the kernel's backlog fills
};
const char* to_string(PauseMode mode);

// How long a deferred envelope waits before its next try (`queue retry`,
// tether-specific; the profile's default when the config does not say).
// OpenSMTPD hard-codes its schedule; the seeds had to patch
// scheduler_ramqueue.c to make an intermittent tunnel usable. Here it is
//   queue retry opensmtpd                   next try at creation + 400 s * n^2
//                                           (n = tries so far), the default
//   queue retry constant 60s                every 60 s after the last try
//   queue retry exponential 60s max 1h      60 s, 120 s, 240 s, ... capped at 1 h
//   queue retry postfix [min 300s] [max 4000s]
//                                           Postfix's qmgr: wait as long as the
//                                           message has been queued, within [min, max]
struct RetryPolicy {
  enum class Kind { opensmtpd, constant, exponential, postfix };
  Kind kind = Kind::opensmtpd;
  Duration base = Duration::seconds(400);  // opensmtpd: the 400 s of 400 s * n^2
  Duration interval;                       // constant / exponential: first delay; postfix: minimal_backoff_time
  Duration max;                            // exponential: cap; postfix: maximal_backoff_time
};

// Postfix's defaults for `queue retry postfix`.
constexpr Duration kPostfixMinimalBackoff = Duration::seconds(300);
constexpr Duration kPostfixMaximalBackoff = Duration::seconds(4000);

// Postfix 3.7's smtpd_min_data_rate (mail_params.h, DEF_SMTPD_MIN_DATA_RATE):
// bytes per second in DATA, in effect with smtpd_per_request_deadline.
constexpr std::uint32_t kPostfixMinDataRate = 500;

// Postfix's smtpd_client_connection_count_limit (mail_params.h,
// DEF_SMTPD_CCONN_LIMIT: half of default_process_limit's 100, plus one,
// halved). Its smtpd_client_connection_rate_limit defaults to 0, none.
constexpr std::size_t kPostfixClientConnectionLimit = 50;

// The knobs, each resolved. RelayBehaviour::of(profile) gives a profile's
// defaults; RelayKnobs are what a config wrote, applied over them.
struct RelayBehaviour {
  RetryPolicy retry;                // `queue retry`
  EarlyRetry early_retry = EarlyRetry::on_success;
  std::size_t max_deferred = 100;   // `mta max-deferred`
  Duration queue_scan = Duration::zero();  // zero: due envelopes go at once; else on this grid
  bool tunnel_route_up = true;      // the tunnel's route coming back retries the queue
  PauseMode pause_mode = PauseMode::reply_421;
  // listen(2)'s backlog: the connections the kernel completes and holds
  // while a paused (stop_accepting) relay takes none. Zero: the system's
  // largest.
  std::size_t listen_backlog = 0;
  // Outbound sessions. How long a connect may take: unset, what the app
  // was started with (tetherd 30 s; in the simulated world the stack's);
  // zero, the stack's own SYN retries (Linux 6.5+'s defaults: 131 s).
  std::optional<Duration> connect_timeout;
  // One timeout for every wait of a session after the connect (greeting,
  // each reply, each block of data); unset: the app's ClientTimeouts, one
  // per phase.
  std::optional<Duration> session_timeout;
  // The least time between the starts of two connections of one delivery
  // attempt: a server that failed is followed by the next one no sooner.
  Duration route_delay = Duration::zero();
  // Inbound DATA: the rate a client must keep up, in bytes per second, or
  // its session ends as a timeout (smtp/data_deadline.h); 0: none, only the
  // per-read and total timeouts. `smtp min-data-rate N`.
  std::uint32_t min_data_rate = kPostfixMinDataRate;
  // Inbound connections from one client address (smtp/connection_admission.h):
  // at once, and new ones a minute; 0: no limit. `smtp client-connection-limit
  // N`, `smtp client-connection-rate N`.
  std::size_t client_connection_limit = kPostfixClientConnectionLimit;
  std::size_t client_connection_rate = 0;

  static RelayBehaviour of(RelayProfile profile);
};

struct RelayKnobs {
  std::optional<RelayProfile> profile;
  std::optional<RetryPolicy> retry;
  std::optional<EarlyRetry> early_retry;
  std::optional<std::size_t> max_deferred;
  std::optional<Duration> queue_scan;
  std::optional<bool> tunnel_route_up;
  std::optional<PauseMode> pause_mode;
  std::optional<std::size_t> listen_backlog;
  std::optional<Duration> connect_timeout;  // zero: the stack's own
  std::optional<Duration> session_timeout;
  std::optional<Duration> route_delay;
  std::optional<std::uint32_t> min_data_rate;
  std::optional<std::size_t> client_connection_limit;
  std::optional<std::size_t> client_connection_rate;

  // The profile's defaults (tether when none), then each knob set here.
  RelayBehaviour resolve() const;
};

}  // namespace tether::smtp
