#pragma once
// The relay's reports (OpenSMTPD's bounce.c): failures and delay warnings
// queued as bounce-type envelopes beside the message they are about, then,
// when the scheduler makes them due, injected as DSNs from <> to the
// sender and routed like local mail (smtp/bounce.h makes the envelopes and
// the text). A report no rule routes is dropped with OpenSMTPD's log line
// (the seeds' relay relies on that). Envelopes reaching `queue ttl` end
// here too: expired, and reported unless the scheduler says why not.

#include <string>
#include <vector>

#include "node/relay_context.h"

namespace tether::node {

class RelayOutcomes;

class RelayReports {
 public:
  // `outcomes` takes the reports that cannot be injected yet (deferred).
  RelayReports(RelayContext& context, RelayOutcomes& outcomes);

  // Turns a failed envelope into a failure report, in place (one atomic
  // rewrite of its file), and schedules it.
  void queue_failure_report(const smtp::Envelope& failed, const std::string& error, const std::string& status);
  // Adds a delay report beside a deferred envelope and schedules it.
  void queue_delay_warning(const smtp::Envelope& deferred, const std::string& error, Duration delay);
  // Reports the scheduler made due: one DSN per message and kind of report.
  void inject(const std::vector<smtp::EnvelopeId>& ids);
  // An envelope the scheduler expired (`queue ttl`).
  void expire(const smtp::SchedulerTask& task);

 private:
  // False when a subscriber stopped the relay meanwhile.
  bool inject_one(smtp::MessageId msgid, const std::vector<smtp::Envelope>& reports);
  bool drop_unroutable(smtp::MessageId msgid, const std::vector<smtp::Envelope>& reports,
                       const smtp::RouteDecision& decision);

  RelayContext& context_;
  RelayOutcomes& outcomes_;
};

}  // namespace tether::node
