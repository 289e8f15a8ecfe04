#pragma once
// tetherd's logged relay events (LabNodes::relay_events: the lines
// node/relay_event_log.h writes, one per MailRelayEvent) back into
// MailRelayEvents on the run's time, fed to scenario::Metrics as the
// simulation feeds its MailRelays' events (sim/scenario_runner.cc), and
// counted into the relay's totals as its MailRelayCounters count them. The
// log's stamp is tetherd's CLOCK_MONOTONIC, the clock of the run's start
// instant; the log runs on across restarts, as the queue's ids do.

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/time.h"
#include "lab/nodes/lab_nodes.h"
#include "node/mail_relay_events.h"
#include "scenario/metrics.h"

namespace tether::lab {

// nullopt: not a relay event line (an unknown kind); an error: a line of a
// known kind whose fields do not read (the message says where).
Result<std::optional<node::MailRelayEvent>> parse_relay_log_event(const LogLine& line, Time run_start);

// The host's events within [0, end] on the run's clock, into `metrics` and
// `totals`. The home's local deliveries are left out of `metrics` when
// `maildirs_watched`: the lab times those by inotify on the maildir
// (lab/workload/maildir_watcher.h), and one copy must count once. Lines that
// do not read are returned, one message each, and skipped.
std::vector<std::string> feed_relay_events(scenario::Metrics& metrics, const scenario::HostSpec& host,
                                           const std::vector<LogLine>& lines, Time run_start, Time end,
                                           bool maildirs_watched, scenario::RelayTotals& totals);

// The same for events already read (OpenSMTPD's log, opensmtpd_log_events.h).
void feed_relay_event_list(scenario::Metrics& metrics, const scenario::HostSpec& host,
                           const std::vector<node::MailRelayEvent>& events, Time end, bool maildirs_watched,
                           scenario::RelayTotals& totals);

// The tunnel-to-relay link's route-ups in tetherd's own lines ("tunnel route
// back: N deferred envelopes due now", component "tetherd") within [0, end],
// as the simulation's "route-up" rows (sim/scenario_world_apps.cc).
void feed_route_ups(scenario::Metrics& metrics, const scenario::HostSpec& host, const std::vector<LogLine>& lines,
                    Time run_start, Time end);

}  // namespace tether::lab
