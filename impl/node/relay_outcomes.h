#pragma once
// What the relay does with the outcome of a delivery, local or relayed
// (OpenSMTPD's queue handling of delivery ok / tempfail / permfail): the
// scheduler learns it, the envelope file is updated or removed, the counters
// and subscribers hear of it, and the reports it calls for are queued
// (relay_reports.h).

#include <filesystem>
#include <map>
#include <string>

#include "node/relay_context.h"

namespace tether::node {

class RelayReports;

class RelayOutcomes {
 public:
  RelayOutcomes(RelayContext& context, RelayReports& reports);

  // The next hop's 250 for the envelope has just arrived: the delivery is
  // recorded in the queue at once (RelayQueue::forget unlinks the envelope
  // file), before the session's QUIT, the log and the scheduler, so a kill
  // from here on cannot deliver it twice. delivered() does the rest when the
  // attempt ends. OpenSMTPD's order: mta_session.c reports the delivery at
  // the end-of-message reply, queue.c's queue_imsg deletes the envelope
  // (queue_envelope_delete) before it tells the scheduler.
  void record_delivery(smtp::EnvelopeId id);
  // The relay stopped with recorded deliveries whose attempts will never end.
  void forget_recorded() { recorded_.clear(); }
  // Delivered: out of the scheduler and the queue (unless record_delivery
  // already took it out). `path` is the file a local delivery wrote.
  void delivered(smtp::EnvelopeId id, const std::string& detail, const std::filesystem::path& path = {});
  // Deferred: the retry count and last error are kept in the envelope's
  // file; a delay warning is queued when the scheduler says one is due; an
  // envelope removed while its delivery ran goes now.
  // `cause` feeds OpenSMTPD's host-status records (scheduler.h).
  void temporary_failure(smtp::EnvelopeId id, const std::string& error,
                         smtp::DeferralCause cause = smtp::DeferralCause::other);
  // Failed for good: turned into a failure report, or dropped when none
  // may be made (the scheduler says why).
  void permanent_failure(smtp::EnvelopeId id, const std::string& error,
                         smtp::DeferralCause cause = smtp::DeferralCause::other);

 private:
  RelayContext& context_;
  RelayReports& reports_;
  // Envelopes record_delivery took out of the queue, with their destination
  // for the event delivered() emits.
  std::map<smtp::EnvelopeId, std::string> recorded_;
};

}  // namespace tether::node
