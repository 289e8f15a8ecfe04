#include "node/relay_reports.h"

#include <map>
#include <utility>

#include "node/relay_outcomes.h"
#include "smtp/bounce.h"
#include "smtp/envelope_routing.h"

namespace tether::node {

using smtp::Envelope;
using smtp::EnvelopeId;
using smtp::MessageId;
using Kind = MailRelayEvent::Kind;

RelayReports::RelayReports(RelayContext& context, RelayOutcomes& outcomes) : context_(context), outcomes_(outcomes) {}

void RelayReports::queue_failure_report(const Envelope& failed, const std::string& error, const std::string& status) {
  Envelope report = smtp::make_report_envelope(failed, smtp::ReportKind::failure, error, status, context_.host.wall_now());
  if (auto r = context_.queue.store().update(report); !r) {
    context_.log.warning("cannot turn envelope " + smtp::format_envelope_id(failed.id) + " into a report: " +
                         r.error().message);
    return;
  }
  context_.scheduler.insert(report, context_.host.now(), context_.host.wall_now());
  ++context_.counters.reports_queued;
  MailRelayEvent e = context_.event(Kind::report_queued, report.id);
  e.detail = smtp::failure_report_note(failed);
  context_.emit(std::move(e));
}

void RelayReports::queue_delay_warning(const Envelope& deferred, const std::string& error, Duration delay) {
  const WallTime wall = context_.host.wall_now();
  Envelope report = smtp::make_report_envelope(deferred, smtp::ReportKind::delay, error,
                                               smtp::status_from_error(error, false), wall, delay);
  if (auto r = context_.queue.store().add_envelope(deferred.msgid(), report); !r) {
    context_.log.warning("cannot queue a delay report: " + r.error().message);
    return;
  }
  context_.scheduler.insert(report, context_.host.now(), wall);
  ++context_.counters.reports_queued;
  MailRelayEvent e = context_.event(Kind::report_queued, report.id);
  e.detail = smtp::delay_warning_note(deferred.id);
  context_.emit(std::move(e));
}

void RelayReports::inject(const std::vector<EnvelopeId>& ids) {
  const Time now = context_.host.now();
  // One DSN per message and kind of report.
  std::map<std::pair<MessageId, int>, std::vector<Envelope>> groups;
  for (EnvelopeId id : ids) {
    const Envelope* env = context_.queue.store().find(id);
    if (!env) {
      context_.scheduler.on_delivered(id, now);
      continue;
    }
    groups[{env->msgid(), static_cast<int>(env->report)}].push_back(*env);
  }
  for (auto& [key, reports] : groups)
    if (!inject_one(key.first, reports)) return;
}

bool RelayReports::inject_one(MessageId msgid, const std::vector<Envelope>& reports) {
  const WallTime wall = context_.host.wall_now();
  const Time now = context_.host.now();
  smtp::QueueStore& store = context_.queue.store();
  const std::string& sender = reports.front().sender;
  auto original = store.read_message(msgid);
  if (!original) {
    for (const Envelope& r : reports)
      outcomes_.temporary_failure(r.id, "451 4.3.0 cannot read the message to report on: " + original.error().message);
    return true;
  }
  smtp::RouteDecision decision = context_.router.route(smtp::RouteRequest::local("", sender));
  if (!decision.delivers()) return drop_unroutable(msgid, reports, decision);
  const smtp::Action& action = *decision.action;
  smtp::DeliveryReport report = smtp::build_report(reports, *original, wall);
  const std::string text = smtp::format_delivery_report(report);
  Envelope injected =
      smtp::injected_report_envelope(reports.front(), wall, action.ttl ? *action.ttl : context_.config->queue.ttl);
  smtp::route_envelope(injected, action, sender);
  std::vector<Envelope> envelopes{injected};
  auto committed = store.commit_message(text, envelopes);
  if (!committed) {
    for (const Envelope& r : reports)
      outcomes_.temporary_failure(r.id, "451 4.3.0 cannot queue the report: " + committed.error().message);
    return true;
  }
  context_.scheduler.insert(envelopes.front(), now, wall);
  for (const Envelope& r : reports) {
    context_.scheduler.on_delivered(r.id, now);
    if (auto removed = store.remove(r.id); !removed) context_.log.warning("cannot remove report: " + removed.error().message);
  }
  ++context_.counters.reports_injected;
  context_.log.info(smtp::report_injected_log(reports.front().report, msgid, sender, *committed));
  MailRelayEvent e = context_.event(Kind::report_injected);
  e.msgid = *committed;
  e.evpid = envelopes.front().id;
  e.destination = injected.destination;
  e.detail = smtp::report_injected_note(msgid, sender);
  context_.emit(std::move(e));
  return context_.running();
}

bool RelayReports::drop_unroutable(MessageId msgid, const std::vector<Envelope>& reports,
                                   const smtp::RouteDecision& decision) {
  const bool permanent = decision.outcome == smtp::RouteDecision::Outcome::reject;
  const std::string& sender = reports.front().sender;
  const std::string line = smtp::injection_failure_log(permanent, msgid, sender, reports.size(),
                                                       decision.reply.empty() ? "550 Invalid recipient" : decision.reply);
  context_.log.warning(line);
  for (const Envelope& r : reports) {
    if (!permanent) {
      outcomes_.temporary_failure(r.id, decision.reply);
      continue;
    }
    (void)context_.scheduler.on_permanent_failure(r.id, decision.reply, context_.host.now());
    if (auto removed = context_.queue.store().remove(r.id); !removed)
      context_.log.warning("cannot remove report: " + removed.error().message);
    ++context_.counters.reports_dropped;
    MailRelayEvent e = context_.event(Kind::report_dropped, r.id);
    e.detail = line;
    context_.emit(std::move(e));
    if (!context_.running()) return false;
  }
  return true;
}

void RelayReports::expire(const smtp::SchedulerTask& task) {
  const Envelope* found = context_.queue.store().find(task.id);
  if (!found) return;
  const Envelope env = *found;
  ++context_.counters.expired;
  const std::string error = smtp::expiry_error(env);
  context_.log.info("envelope " + smtp::format_envelope_id(env.id) + " to <" + env.rcpt + "> expired: " + error);
  if (task.drop_reason.empty()) {
    queue_failure_report(env, error, smtp::kExpiryStatus);
  } else {
    context_.log.info("envelope " + smtp::format_envelope_id(env.id) + ": no report: " + task.drop_reason);
    context_.queue.forget(env.id, "expired");
  }
  MailRelayEvent e = context_.event(Kind::expired, env.id);
  e.destination = env.destination;
  e.detail = error;
  context_.emit(std::move(e));
}

}  // namespace tether::node
