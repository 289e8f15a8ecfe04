#pragma once
// When each queued envelope is tried: OpenSMTPD's scheduler_ramqueue, sans
// IO. It holds an in-memory index of envelopes by next try time, by expiry
// and by destination; the relay asks it what is due, attempts it, and tells
// it how that went. It reads no clock: every call takes `now`.
//
//   insert(envelope, now, wall_now)   a committed or recovered envelope
//   next_deadline()                   when due() has something to say
//   due(now)                          tasks: attempt (marked in flight) or expire
//   on_delivered / on_temporary_failure / on_permanent_failure / on_loop
//   route_up(destination, now)        the tunnel's route came back: retry now
//   pause / resume, schedule, remove, suspend / resume_envelope   (control)
//
// Policies: the retry schedule is the config's (RetrySchedule); an envelope
// reaching its expiry (`queue ttl`) comes back from due() as an `expire`
// task, which the relay turns into a failure report or drops; a delivery
// that fails temporarily after a `bounce warn-interval` has passed since
// the envelope was queued asks for one delay warning per interval, never
// for reports or mail from <>.
//
// What a success does to the destination's other deferred envelopes, and
// when a retry is picked up, follow the relay's profile (relay_profile.h;
// scheduler_early_retry.cc): up to `mta max-deferred` of them due at once
// (tether), only those OpenSMTPD's host-status records cached
// (host_status.h), or none (Postfix), whose deferred queue is scanned only
// every `queue scan-interval`.
//
// Monotonic times only: an envelope's wall-clock creation and last try are
// mapped onto the monotonic clock when it is inserted, so a wall clock that
// jumps later moves nothing.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/logger.h"
#include "core/time.h"
#include "smtp/config.h"
#include "smtp/envelope.h"
#include "smtp/host_status.h"
#include "smtp/queue_listing.h"
#include "smtp/retry_policy.h"

namespace tether::smtp {

struct SchedulerSettings {
  RetryPolicy retry;                                            // `queue retry`
  std::vector<Duration> warn_intervals{Duration::hours(4)};     // `bounce warn-interval`
  EarlyRetry early_retry = EarlyRetry::on_success;              // `queue early-retry`
  std::size_t max_deferred = 100;     // `mta max-deferred`: bounds an early retry
  Duration queue_scan = Duration::zero();  // `queue scan-interval`; zero: no scan grid
  Time scan_origin;                   // the first scan (the relay's start)
  std::size_t max_inflight = 5000;    // OpenSMTPD's scheduler max-inflight

  // `scan_origin`: when the relay started, on the monotonic clock.
  static SchedulerSettings from_config(const Config& config, Time scan_origin = Time());
};

// Where a relayed envelope's temporary failure came from: what OpenSMTPD's
// host-status records learn of it (host_status.h).
enum class DeferralCause {
  other,        // no server was tried: local delivery, DNS, the queue
  routes_down,  // every server failed before a transaction (refused, timed out, 421 greeting)
  transaction,  // a server took the transaction and deferred it (4xx to MAIL/RCPT/DATA)
};

struct SchedulerTask {
  enum class Kind {
    deliver,  // local delivery (mda)
    relay,    // to another server (mta)
    report,   // inject the report this bounce-type envelope carries
    expire,   // reached its expiry: no longer in the scheduler
  };
  EnvelopeId id = 0;
  Kind kind = Kind::relay;
  std::string destination;
  // expire: why no failure report may be made ("" = make one); see bounce.h.
  std::string drop_reason;
};
const char* to_string(SchedulerTask::Kind kind);

struct TemporaryFailureOutcome {
  bool removed = false;              // `remove` hit it in flight: delete it now
  Time next_try = Time::never();
  // Set when a delay warning is due: the warn-interval that has passed.
  std::optional<Duration> delay_warning;
};

struct PermanentFailureOutcome {
  bool removed = false;     // `remove` hit it in flight: delete it, no report
  bool report = false;      // turn it into a failure report (make_report_envelope)
  std::string drop_reason;  // otherwise why it is dropped silently (and logged)
};

// One envelope as the scheduler sees it, for `show queue`.
struct ScheduledState {
  enum class State { pending, held, inflight, suspended };
  State state = State::pending;
  Time next_try;        // pending
  Time inflight_since;  // inflight
  std::uint32_t retry = 0;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerSettings settings = {}, Logger log = Logger());

  const SchedulerSettings& settings() const { return settings_; }

  // Adds an envelope. A fresh one (retry 0) is due at once; a recovered one
  // resumes its schedule. `now`/`wall_now` are the same instant on the two
  // clocks. Re-inserting a known id replaces it.
  void insert(const Envelope& envelope, Time now, WallTime wall_now);

  // When due() next has something; Time::never() when nothing is queued (or
  // all of it is in flight or suspended). May be in the past: call due().
  Time next_deadline() const;
  // What to do now: envelopes to attempt (now in flight), and expired ones
  // (already gone from the scheduler).
  std::vector<SchedulerTask> due(Time now);

  // ---- outcomes of attempts (the envelope must be in flight) ----

  // Delivered: forgotten. Returns how many deferred envelopes for the same
  // destination were made due by the good news (settings().early_retry).
  std::size_t on_delivered(EnvelopeId id, Time now);
  TemporaryFailureOutcome on_temporary_failure(EnvelopeId id, const std::string& error, Time now,
                                               DeferralCause cause = DeferralCause::other);
  // `cause` as for a temporary failure: a 5xx inside a transaction also
  // refreshes OpenSMTPD's host-status record (mta_flush_task, MTA_RCPT).
  PermanentFailureOutcome on_permanent_failure(EnvelopeId id, const std::string& error, Time now,
                                               DeferralCause cause = DeferralCause::other);
  // A mail loop (too many hops): a permanent failure counted apart.
  PermanentFailureOutcome on_loop(EnvelopeId id, Time now);

  // ---- the route came back ----

  // Every deferred envelope for `destination` becomes due now. Returns how many.
  std::size_t route_up(const std::string& destination, Time now);

  // ---- control ----

  void pause(DeliveryType type);   // `pause mda|mta` (reports count as mda)
  void resume(DeliveryType type);
  bool paused(DeliveryType type) const;
  // `schedule ID` (an evpid, or a msgid for all its envelopes) / `schedule all`:
  // due now unless in flight or suspended. Returns how many.
  std::size_t schedule(std::uint64_t id, Time now);
  std::size_t schedule_all(Time now);
  // `remove ID`: returns the envelopes to delete from the store now; ones in
  // flight are deleted when their attempt reports back (outcome.removed).
  std::vector<EnvelopeId> remove(std::uint64_t id);
  // `pause envelope ID` / `resume envelope ID`. Returns how many changed.
  std::size_t suspend(std::uint64_t id);
  std::size_t resume_envelope(std::uint64_t id, Time now);

  // ---- queries ----

  std::optional<ScheduledState> state(EnvelopeId id) const;
  // For show queue's runstate column.
  QueueRowState row_state(EnvelopeId id, Time now) const;
  bool contains(EnvelopeId id) const { return entries_.count(id) != 0; }
  std::size_t size() const { return entries_.size(); }
  std::size_t inflight() const { return inflight_; }
  std::size_t deferred(const std::string& destination) const;

  // Envelope, delivery and misc counters for `monitor` (the client columns
  // are the SMTP server's to fill).
  const MonitorDigest& counters() const { return counters_; }
  // OpenSMTPD's host-status records (early_retry hoststat), for tests.
  HostStatus& host_status() { return host_status_; }

 private:
  enum class State { pending, held, inflight, suspended };
  struct Entry {
    EnvelopeId id = 0;
    DeliveryType type = DeliveryType::mta;
    std::string destination;
    std::string rcpt_domain;     // relayed mail: its dest's domain, the host-status key
    std::string report_refusal;  // "" = a failure report may be made
    bool delay_warnings = false;
    Time creation;
    Time expire;
    Time next_try;
    Time last_try;
    std::uint32_t retry = 0;
    std::size_t warned = 0;  // warn intervals already reported
    State state = State::pending;
    bool removed = false;    // removed while in flight
  };

  int pause_slot(DeliveryType type) const { return type == DeliveryType::mta ? 0 : 1; }
  bool can_start() const { return inflight_ < settings_.max_inflight; }
  void index(Entry& e);
  void unindex(Entry& e);
  void set_pending(Entry& e, Time next_try);
  void start(Entry& e, Time now, std::vector<SchedulerTask>& out);
  void forget(Entry& e);
  // scheduler_early_retry.cc
  Time picked_up_at(Time eligible) const;
  std::size_t early_retry_on_success(const Entry& delivered, Time now);
  void note_deferral(const Entry& e, const std::string& error, DeferralCause cause, Time now);
  std::size_t make_due(const std::vector<EnvelopeId>& ids, Time now);
  Entry* inflight_entry(EnvelopeId id, const char* what);
  PermanentFailureOutcome fail_permanently(EnvelopeId id, const std::string& error, bool loop);
  template <typename F>
  std::size_t for_ids(std::uint64_t id, F&& f);

  SchedulerSettings settings_;
  RetrySchedule retry_;
  Logger log_;
  std::map<EnvelopeId, Entry> entries_;
  std::set<std::pair<Time, EnvelopeId>> by_next_try_;  // pending
  std::set<std::pair<Time, EnvelopeId>> by_expiry_;    // pending and held
  std::set<std::pair<Time, EnvelopeId>> held_[2];      // due while paused, by pause slot
  std::unordered_map<std::string, std::set<EnvelopeId>> by_destination_;
  bool paused_[2] = {false, false};
  std::size_t inflight_ = 0;
  MonitorDigest counters_;
  HostStatus host_status_;
};

}  // namespace tether::smtp
