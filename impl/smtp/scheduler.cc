#include "smtp/scheduler.h"

#include <algorithm>

#include "core/ascii.h"
#include "smtp/bounce.h"

namespace tether::smtp {

SchedulerSettings SchedulerSettings::from_config(const Config& config, Time scan_origin) {
  SchedulerSettings s;
  const RelayBehaviour behaviour = config.knobs.resolve();
  s.retry = behaviour.retry;
  s.warn_intervals = config.bounce_warn_intervals;
  s.early_retry = behaviour.early_retry;
  s.max_deferred = behaviour.max_deferred;
  s.queue_scan = behaviour.queue_scan;
  s.scan_origin = scan_origin;
  return s;
}

const char* to_string(SchedulerTask::Kind kind) {
  switch (kind) {
    case SchedulerTask::Kind::deliver: return "deliver";
    case SchedulerTask::Kind::relay: return "relay";
    case SchedulerTask::Kind::report: return "report";
    case SchedulerTask::Kind::expire: return "expire";
  }
  return "?";
}

namespace {

SchedulerTask::Kind task_kind(DeliveryType type) {
  switch (type) {
    case DeliveryType::mda: return SchedulerTask::Kind::deliver;
    case DeliveryType::mta: return SchedulerTask::Kind::relay;
    case DeliveryType::bounce: return SchedulerTask::Kind::report;
  }
  return SchedulerTask::Kind::relay;
}

// The instant `t` on the monotonic clock, given one instant on both.
Time to_monotonic(WallTime t, Time now, WallTime wall_now) { return now + (t - wall_now); }

}  // namespace

Scheduler::Scheduler(SchedulerSettings settings, Logger log)
    : settings_(std::move(settings)),
      retry_(settings_.retry),
      log_(std::move(log)),
      host_status_(settings_.max_deferred) {
  std::sort(settings_.warn_intervals.begin(), settings_.warn_intervals.end());
}

// ---- indexes ----

void Scheduler::index(Entry& e) {
  switch (e.state) {
    case State::pending:
      by_next_try_.emplace(e.next_try, e.id);
      by_expiry_.emplace(e.expire, e.id);
      break;
    case State::held:
      held_[pause_slot(e.type)].emplace(e.next_try, e.id);
      by_expiry_.emplace(e.expire, e.id);
      break;
    case State::inflight:
    case State::suspended:
      // Neither expires while so: an attempt in flight reports back, and a
      // suspended envelope waits for the admin (as in OpenSMTPD).
      break;
  }
}

void Scheduler::unindex(Entry& e) {
  switch (e.state) {
    case State::pending:
      by_next_try_.erase({e.next_try, e.id});
      by_expiry_.erase({e.expire, e.id});
      break;
    case State::held:
      held_[pause_slot(e.type)].erase({e.next_try, e.id});
      by_expiry_.erase({e.expire, e.id});
      break;
    case State::inflight:
    case State::suspended:
      break;
  }
}

void Scheduler::set_pending(Entry& e, Time next_try) {
  unindex(e);
  if (e.state == State::inflight) --inflight_;
  e.state = State::pending;
  e.next_try = next_try;
  index(e);
}

void Scheduler::start(Entry& e, Time now, std::vector<SchedulerTask>& out) {
  unindex(e);
  e.state = State::inflight;
  e.last_try = now;
  ++inflight_;
  out.push_back(SchedulerTask{e.id, task_kind(e.type), e.destination, ""});
}

void Scheduler::forget(Entry& e) {
  unindex(e);
  if (e.state == State::inflight) --inflight_;
  auto d = by_destination_.find(e.destination);
  if (d != by_destination_.end()) {
    d->second.erase(e.id);
    if (d->second.empty()) by_destination_.erase(d);
  }
  ++counters_.evp_dequeued;
  entries_.erase(e.id);  // e dangles from here
}

// ---- insertion and the clock ----

void Scheduler::insert(const Envelope& env, Time now, WallTime wall_now) {
  if (auto old = entries_.find(env.id); old != entries_.end()) {
    forget(old->second);
    --counters_.evp_dequeued;  // a replacement, not a departure
    --counters_.evp_enqueued;
  }
  Entry e;
  e.id = env.id;
  e.type = env.type;
  e.destination = env.destination;
  if (env.type == DeliveryType::mta) e.rcpt_domain = ascii_lower(address_domain(env.dest.empty() ? env.rcpt : env.dest));
  e.report_refusal = failure_report_refusal(env);
  e.delay_warnings = delay_report_wanted(env);
  e.creation = to_monotonic(env.creation, now, wall_now);
  e.expire = to_monotonic(env.expire, now, wall_now);
  e.last_try = env.last_try.unix_ns() == 0 ? e.creation : to_monotonic(env.last_try, now, wall_now);
  e.retry = env.retry;
  if (env.last_warning.unix_ns() != 0) {
    while (e.warned < settings_.warn_intervals.size() &&
           !(env.last_warning < env.creation + settings_.warn_intervals[e.warned]))
      ++e.warned;
  }
  if (env.suspended) {
    e.state = State::suspended;
    e.next_try = retry_.next_try(e.type, e.creation, e.retry, e.last_try);
  } else {
    e.state = State::pending;
    e.next_try = retry_.next_try(e.type, e.creation, e.retry, e.last_try);
    if (e.retry > 0) e.next_try = picked_up_at(e.next_try);
  }
  auto [it, inserted] = entries_.emplace(e.id, std::move(e));
  (void)inserted;
  index(it->second);
  by_destination_[it->second.destination].insert(it->first);
  ++counters_.evp_enqueued;
}

Time Scheduler::next_deadline() const {
  Time t = Time::never();
  if (!by_expiry_.empty()) t = by_expiry_.begin()->first;
  if (!can_start()) return t;
  if (!by_next_try_.empty()) t = std::min(t, by_next_try_.begin()->first);
  for (int slot = 0; slot < 2; ++slot)
    if (!paused_[slot] && !held_[slot].empty()) t = std::min(t, held_[slot].begin()->first);
  return t;
}

std::vector<SchedulerTask> Scheduler::due(Time now) {
  std::vector<SchedulerTask> out;

  while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) {
    Entry& e = entries_.at(by_expiry_.begin()->second);
    out.push_back(SchedulerTask{e.id, SchedulerTask::Kind::expire, e.destination, e.report_refusal});
    ++counters_.evp_expired;
    log_.info("scheduler: envelope " + format_envelope_id(e.id) + " expired");
    forget(e);
  }

  for (int slot = 0; slot < 2; ++slot) {
    while (!paused_[slot] && !held_[slot].empty() && can_start())
      start(entries_.at(held_[slot].begin()->second), now, out);
  }

  while (!by_next_try_.empty() && by_next_try_.begin()->first <= now) {
    Entry& e = entries_.at(by_next_try_.begin()->second);
    if (paused(e.type)) {
      unindex(e);
      e.state = State::held;
      index(e);
      continue;
    }
    if (!can_start()) break;
    start(e, now, out);
  }
  return out;
}

// ---- outcomes ----

Scheduler::Entry* Scheduler::inflight_entry(EnvelopeId id, const char* what) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.state != State::inflight) {
    log_.warning(std::string("scheduler: ") + what + " for envelope " + format_envelope_id(id) +
                 ", which is not in flight");
    return nullptr;
  }
  return &it->second;
}

std::size_t Scheduler::on_delivered(EnvelopeId id, Time now) {
  Entry* e = inflight_entry(id, "delivery");
  if (!e) return 0;
  ++counters_.dlv_ok;
  const Entry delivered = *e;
  forget(*e);
  if (delivered.type == DeliveryType::bounce || delivered.destination.empty()) return 0;
  return early_retry_on_success(delivered, now);
}

TemporaryFailureOutcome Scheduler::on_temporary_failure(EnvelopeId id, const std::string& error, Time now,
                                                       DeferralCause cause) {
  TemporaryFailureOutcome out;
  Entry* e = inflight_entry(id, "temporary failure");
  if (!e) return out;
  ++counters_.dlv_tempfail;
  if (e->removed) {
    ++counters_.evp_removed;
    forget(*e);
    out.removed = true;
    return out;
  }
  note_deferral(*e, error, cause, now);
  ++e->retry;
  const Time next = picked_up_at(retry_.next_try(e->type, e->creation, e->retry, now));
  if (e->delay_warnings) {
    // One warning per interval, for the longest one that has passed.
    std::size_t passed = e->warned;
    while (passed < settings_.warn_intervals.size() && now >= e->creation + settings_.warn_intervals[passed])
      ++passed;
    if (passed > e->warned) {
      out.delay_warning = settings_.warn_intervals[passed - 1];
      e->warned = passed;
      ++counters_.evp_bounce;
    }
  }
  set_pending(*e, next);
  out.next_try = next;
  log_.debug("scheduler: envelope " + format_envelope_id(id) + " deferred (" + error + "), retry " +
             std::to_string(e->retry));
  return out;
}

PermanentFailureOutcome Scheduler::fail_permanently(EnvelopeId id, const std::string& error, bool loop) {
  PermanentFailureOutcome out;
  Entry* e = inflight_entry(id, loop ? "loop" : "permanent failure");
  if (!e) return out;
  if (loop) ++counters_.dlv_loop;
  else ++counters_.dlv_permfail;
  if (e->removed) {
    ++counters_.evp_removed;
    out.removed = true;
  } else if (e->report_refusal.empty()) {
    out.report = true;
    ++counters_.evp_bounce;
  } else {
    out.drop_reason = e->report_refusal;
    log_.info("scheduler: envelope " + format_envelope_id(id) + " failed (" + error + "); no report: " +
              out.drop_reason);
  }
  forget(*e);
  return out;
}

PermanentFailureOutcome Scheduler::on_permanent_failure(EnvelopeId id, const std::string& error, Time now,
                                                       DeferralCause cause) {
  auto it = entries_.find(id);
  if (it != entries_.end() && it->second.state == State::inflight && cause == DeferralCause::transaction)
    note_deferral(it->second, error, cause, now);
  return fail_permanently(id, error, false);
}

PermanentFailureOutcome Scheduler::on_loop(EnvelopeId id, Time) { return fail_permanently(id, "loop detected", true); }

std::size_t Scheduler::route_up(const std::string& destination, Time now) {
  auto d = by_destination_.find(destination);
  if (d == by_destination_.end()) return 0;
  std::vector<Entry*> waiting;
  for (EnvelopeId id : d->second) {
    Entry& e = entries_.at(id);
    if (e.state == State::pending && e.next_try > now && e.type != DeliveryType::bounce) waiting.push_back(&e);
  }
  for (Entry* e : waiting) set_pending(*e, now);
  if (!waiting.empty())
    log_.info("scheduler: route to " + destination + " is up: " + std::to_string(waiting.size()) +
              " deferred envelopes due now");
  return waiting.size();
}

// ---- control ----

void Scheduler::pause(DeliveryType type) { paused_[pause_slot(type)] = true; }
void Scheduler::resume(DeliveryType type) { paused_[pause_slot(type)] = false; }
bool Scheduler::paused(DeliveryType type) const { return paused_[pause_slot(type)]; }

template <typename F>
std::size_t Scheduler::for_ids(std::uint64_t id, F&& f) {
  std::vector<EnvelopeId> ids;
  if (is_message_id(id)) {
    const EnvelopeId lo = make_envelope_id(static_cast<MessageId>(id), 0);
    const EnvelopeId hi = make_envelope_id(static_cast<MessageId>(id), 0xffffffffU);
    for (auto it = entries_.lower_bound(lo); it != entries_.end() && it->first <= hi; ++it) ids.push_back(it->first);
  } else if (entries_.count(id)) {
    ids.push_back(id);
  }
  std::size_t n = 0;
  for (EnvelopeId e : ids)
    if (f(entries_.at(e))) ++n;
  return n;
}

std::size_t Scheduler::schedule(std::uint64_t id, Time now) {
  return for_ids(id, [&](Entry& e) {
    if (e.state == State::held) return true;
    if (e.state != State::pending) return false;
    if (e.next_try > now) set_pending(e, now);
    return true;
  });
}

std::size_t Scheduler::schedule_all(Time now) {
  std::size_t n = 0;
  for (auto& [id, e] : entries_) {
    if (e.state == State::held) {
      ++n;
    } else if (e.state == State::pending) {
      if (e.next_try > now) set_pending(e, now);
      ++n;
    }
  }
  return n;
}

std::vector<EnvelopeId> Scheduler::remove(std::uint64_t id) {
  std::vector<EnvelopeId> now;
  for_ids(id, [&](Entry& e) {
    if (e.state == State::inflight) {
      e.removed = true;
      return true;
    }
    now.push_back(e.id);
    return true;
  });
  for (EnvelopeId e : now) {
    ++counters_.evp_removed;
    forget(entries_.at(e));
  }
  return now;
}

std::size_t Scheduler::suspend(std::uint64_t id) {
  return for_ids(id, [&](Entry& e) {
    if (e.state != State::pending && e.state != State::held) return false;
    unindex(e);
    e.state = State::suspended;
    return true;
  });
}

std::size_t Scheduler::resume_envelope(std::uint64_t id, Time now) {
  return for_ids(id, [&](Entry& e) {
    if (e.state != State::suspended) return false;
    const Time next = retry_.next_try(e.type, e.creation, e.retry, e.last_try);
    set_pending(e, std::max(now, e.retry > 0 ? picked_up_at(next) : next));
    return true;
  });
}

// ---- queries ----

std::optional<ScheduledState> Scheduler::state(EnvelopeId id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  ScheduledState s;
  switch (e.state) {
    case State::pending: s.state = ScheduledState::State::pending; break;
    case State::held: s.state = ScheduledState::State::held; break;
    case State::inflight: s.state = ScheduledState::State::inflight; break;
    case State::suspended: s.state = ScheduledState::State::suspended; break;
  }
  s.next_try = e.next_try;
  s.inflight_since = e.last_try;
  s.retry = e.retry;
  return s;
}

QueueRowState Scheduler::row_state(EnvelopeId id, Time now) const {
  QueueRowState row;
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    row.run = QueueRowState::Run::invalid;
    return row;
  }
  const Entry& e = it->second;
  if (e.state == State::inflight) {
    row.run = QueueRowState::Run::inflight;
    row.seconds = (now - e.last_try).whole_seconds();
  } else {
    row.run = QueueRowState::Run::pending;
    row.seconds = (e.next_try - now).whole_seconds();
    row.held = e.state == State::held;
  }
  return row;
}

std::size_t Scheduler::deferred(const std::string& destination) const {
  auto d = by_destination_.find(destination);
  if (d == by_destination_.end()) return 0;
  std::size_t n = 0;
  for (EnvelopeId id : d->second)
    if (entries_.at(id).state == State::pending) ++n;
  return n;
}

}  // namespace tether::smtp
