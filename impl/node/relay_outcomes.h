#pragma once
// What the relay does with the outcome of a delivery, local or relayed
// (OpenSMTPD's queue handling of delivery ok / tempfail / permfail): the
// scheduler learns it, the envelope file is updated or removed, the counters
// and subscribers hear of it, and the reports it calls for are queued
// (relay_reports.h).

#include <filesystem>
#include <string>

#include "node/relay_context.h"

namespace tether::node {

class RelayReports;

class RelayOutcomes {
 public:
  RelayOutcomes(RelayContext& context, RelayReports& reports);

  // Delivered: out of the scheduler and the queue. `path` is the file a
  // local delivery wrote.
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
};

}  // namespace tether::node
