// The scheduler's profile-dependent parts (relay_profile.h): what a success
// does to the destination's other deferred envelopes, what a deferral
// teaches OpenSMTPD's host-status records, and Postfix's deferred-queue
// scan.

#include <algorithm>

#include "smtp/scheduler.h"

namespace tether::smtp {

// Postfix's qmgr scans the deferred queue from its start and then every
// queue_run_delay (qmgr.c: qmgr_post_init calls qmgr_deferred_run_event,
// which requests a scan and re-arms itself for var_queue_run_delay). A
// deferred file becomes eligible at its backoff time (the queue file's
// mtime, qmgr_defer.c / qmgr_active.c) but is only fed to the active queue
// by the next scan (qmgr_scan_next in qmgr_loop). New mail comes through
// the incoming queue at once, so only retries (retry > 0) wait for a scan.
Time Scheduler::picked_up_at(Time eligible) const {
  const Duration scan = settings_.queue_scan;
  if (scan <= Duration::zero() || eligible.is_never()) return eligible;
  const Time origin = settings_.scan_origin;
  if (eligible <= origin) return origin;
  const std::int64_t since = (eligible - origin).ns();
  const std::int64_t scans = (since + scan.ns() - 1) / scan.ns();
  return origin + scan * scans;
}

std::size_t Scheduler::make_due(const std::vector<EnvelopeId>& ids, Time now) {
  std::size_t n = 0;
  for (EnvelopeId id : ids) {
    auto it = entries_.find(id);
    // An envelope cached and since delivered, removed or in flight is
    // skipped, as the queue does with a schedule for an unknown evpid.
    if (it == entries_.end() || it->second.state != State::pending || it->second.next_try <= now) continue;
    set_pending(it->second, now);
    ++n;
  }
  return n;
}

std::size_t Scheduler::early_retry_on_success(const Entry& delivered, Time now) {
  switch (settings_.early_retry) {
    case EarlyRetry::none:
      // Postfix: each deferred message waits for its own backoff and scan.
      return 0;

    case EarlyRetry::hoststat: {
      if (delivered.rcpt_domain.empty()) return 0;
      // mta_session.c, MTA_RCPT: the envelope's RCPT reply uncaches it; a
      // 2xx reschedules what the domain's record cached
      // (mta_hoststat_reschedule). Then the delivery's mta_flush_task
      // updates the record (mta_hoststat_update), creating it if it was
      // not there: the first success after an outage in which no record
      // existed flushes nothing.
      host_status_.uncache(delivered.rcpt_domain, delivered.id, now);
      const std::size_t n = make_due(host_status_.reschedule(delivered.rcpt_domain, now), now);
      host_status_.update(delivered.rcpt_domain, "delivered", now);
      if (n)
        log_.debug("scheduler: " + delivered.rcpt_domain + " works: " + std::to_string(n) +
                   " envelopes cached in its host status due now");
      return n;
    }

    case EarlyRetry::on_success: {
      // tether: the destination works, so up to max-deferred of its
      // deferred envelopes need not wait for their slot, soonest first.
      auto d = by_destination_.find(delivered.destination);
      if (d == by_destination_.end()) return 0;
      std::vector<Entry*> waiting;
      for (EnvelopeId other : d->second) {
        Entry& o = entries_.at(other);
        if (o.state == State::pending && o.next_try > now && o.type != DeliveryType::bounce) waiting.push_back(&o);
      }
      const std::size_t n = std::min(waiting.size(), settings_.max_deferred);
      std::partial_sort(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(n), waiting.end(),
                        [](const Entry* a, const Entry* b) { return a->next_try < b->next_try; });
      for (std::size_t i = 0; i < n; ++i) set_pending(*waiting[i], now);
      if (n)
        log_.debug("scheduler: " + delivered.destination + " works: " + std::to_string(n) +
                   " deferred envelopes due now");
      return n;
    }
  }
  return 0;
}

void Scheduler::note_deferral(const Entry& e, const std::string& error, DeferralCause cause, Time now) {
  if (settings_.early_retry != EarlyRetry::hoststat || e.rcpt_domain.empty()) return;
  switch (cause) {
    case DeferralCause::other:
      break;
    case DeferralCause::transaction:
      // A server took the task and deferred or refused it: mta_flush_task
      // (or a 4xx/5xx to RCPT) uncaches and updates the record, caches nothing
      // (cache=0). tether has no `max_failures_per_session`, so OpenSMTPD's
      // "Too many consecutive errors" caching (cache=1) never happens here.
      host_status_.uncache(e.rcpt_domain, e.id, now);
      host_status_.update(e.rcpt_domain, error, now);
      break;
    case DeferralCause::routes_down:
      // Every route failed before a task was taken: mta_error ignored the
      // refusal or timeout ("not reporting route error yet"), the route was
      // disabled, and mta_flush (mta.c) failed the relay's tasks with every
      // connector in route error: each envelope is cached, but only into a
      // record that exists (mta_hoststat_cache never creates one) and while
      // it holds fewer than max-deferred.
      host_status_.cache(e.rcpt_domain, e.id, now);
      break;
  }
}

}  // namespace tether::smtp
