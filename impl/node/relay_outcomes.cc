#include "node/relay_outcomes.h"

#include "node/relay_reports.h"
#include "smtp/bounce.h"

namespace tether::node {

using smtp::Envelope;
using smtp::EnvelopeId;
using Kind = MailRelayEvent::Kind;

RelayOutcomes::RelayOutcomes(RelayContext& context, RelayReports& reports) : context_(context), reports_(reports) {}

void RelayOutcomes::record_delivery(EnvelopeId id) {
  const Envelope* found = context_.queue.store().find(id);
  if (!found) return;  // removed by the operator meanwhile: delivered() will say so
  recorded_[id] = found->destination;
  context_.queue.forget(id, "delivered");
}

void RelayOutcomes::delivered(EnvelopeId id, const std::string& detail, const std::filesystem::path& path) {
  std::string destination;
  if (auto recorded = recorded_.find(id); recorded != recorded_.end()) {
    destination = recorded->second;
    recorded_.erase(recorded);
  } else {
    const Envelope* found = context_.queue.store().find(id);
    if (found) destination = found->destination;
    context_.queue.forget(id, "delivered");
  }
  context_.scheduler.on_delivered(id, context_.host.now());
  ++context_.counters.delivered;
  context_.log.info("envelope " + smtp::format_envelope_id(id) + ": " + detail);
  MailRelayEvent e = context_.event(Kind::delivered, id);
  e.destination = destination;
  e.detail = detail;
  e.path = path;
  context_.rearm();
  context_.emit(std::move(e));
}

void RelayOutcomes::temporary_failure(EnvelopeId id, const std::string& error, smtp::DeferralCause cause) {
  const Time now = context_.host.now();
  const WallTime wall = context_.host.wall_now();
  smtp::TemporaryFailureOutcome outcome = context_.scheduler.on_temporary_failure(id, error, now, cause);
  smtp::QueueStore& store = context_.queue.store();
  const Envelope* found = store.find(id);
  if (!found) return;
  Envelope env = *found;
  if (outcome.removed) {
    context_.queue.forget(id, "removed");
    ++context_.counters.removed;
    context_.emit(context_.event(Kind::removed, id));
    return;
  }
  ++context_.counters.temporary_failures;
  if (auto s = context_.scheduler.state(id)) env.retry = s->retry;
  env.last_try = wall;
  env.last_error = error;
  if (auto r = store.update(env); !r)
    context_.log.warning("cannot update envelope " + smtp::format_envelope_id(id) + ": " + r.error().message);
  context_.log.info("envelope " + smtp::format_envelope_id(id) + " to <" + env.rcpt + "> deferred: " + error +
                    (outcome.next_try.is_never() ? std::string() : "; next try in " + format_duration(outcome.next_try - now)));
  if (outcome.delay_warning) {
    reports_.queue_delay_warning(env, error, *outcome.delay_warning);
    if (!context_.running()) return;  // a subscriber stopped the relay
  }
  MailRelayEvent e = context_.event(Kind::temporary_failure, id);
  e.destination = env.destination;
  e.detail = error;
  context_.rearm();
  context_.emit(std::move(e));
}

void RelayOutcomes::permanent_failure(EnvelopeId id, const std::string& error, smtp::DeferralCause cause) {
  const Envelope* found = context_.queue.store().find(id);
  if (!found) {
    (void)context_.scheduler.on_permanent_failure(id, error, context_.host.now(), cause);
    return;
  }
  const Envelope env = *found;
  smtp::PermanentFailureOutcome outcome = context_.scheduler.on_permanent_failure(id, error, context_.host.now(), cause);
  ++context_.counters.permanent_failures;
  context_.log.info("envelope " + smtp::format_envelope_id(id) + " to <" + env.rcpt + "> failed: " + error);
  MailRelayEvent e = context_.event(Kind::permanent_failure, id);
  e.destination = env.destination;
  e.detail = error;
  if (outcome.removed) {
    context_.queue.forget(id, "removed");
    ++context_.counters.removed;
  } else if (outcome.report) {
    reports_.queue_failure_report(env, error, smtp::status_from_error(error, true));
  } else {
    context_.log.info("envelope " + smtp::format_envelope_id(id) + ": no report: " + outcome.drop_reason);
    context_.queue.forget(id, "failed");
  }
  context_.rearm();
  context_.emit(std::move(e));
}

}  // namespace tether::node
