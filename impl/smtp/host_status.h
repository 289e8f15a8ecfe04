#pragma once
// OpenSMTPD's host-status ("hoststat") records, the only way it retries
// deferred envelopes early (usr.sbin/smtpd/mta.c, mta_session.c), sans IO.
// A record is keyed by the recipient domain (the part after '@' of the
// envelope's dest) and holds the last error and a set of envelopes cached
// for a reschedule:
//
//  - update (mta_hoststat_update): creates or refreshes the record. The mta
//    calls it only for envelopes a session had taken as a task:
//    mta_flush_task (every delivery result, success included, and
//    mta_error with a task in hand) and a refused RCPT (MTA_RCPT). A
//    connect timeout or refusal is ignored before any task (mta_error in
//    MTA_INIT: "not reporting route error yet"), and a 421 greeting comes
//    before MTA_READY takes a task, so neither creates a record.
//  - cache (mta_hoststat_cache): adds an envelope to an existing record,
//    never creates one, and stops at `mta max-deferred` envelopes. Called
//    by mta_flush (mta.c) when the relay fails with every connector in
//    route error (the host was suspended), and by mta_flush_task with
//    cache=1 after "Too many consecutive errors".
//  - uncache (mta_hoststat_uncache): the envelope got a RCPT reply.
//  - reschedule (mta_hoststat_reschedule): a RCPT was accepted for the
//    domain: every cached envelope is sent IMSG_MTA_SCHEDULE (due now) and
//    the cache empties. The record itself stays.
//  - expiry (HOSTSTAT_EXPIRE_DELAY, mta_hoststat_remove_entry): 4 h after
//    its last update the record goes, with its cache. OpenSMTPD runs a
//    timer (runq_hoststat); here a record is looked at only with a `now`,
//    and one whose time has come counts as gone, which is the same.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "smtp/envelope.h"

namespace tether::smtp {

// mta.c's HOSTSTAT_EXPIRE_DELAY.
constexpr Duration kHostStatExpireDelay = Duration::hours(4);

class HostStatus {
 public:
  explicit HostStatus(std::size_t max_deferred = 100) : max_deferred_(max_deferred) {}

  void update(const std::string& domain, const std::string& error, Time now);
  // False when no live record holds it (none, expired, or full).
  bool cache(const std::string& domain, EnvelopeId id, Time now);
  void uncache(const std::string& domain, EnvelopeId id, Time now);
  // The cached envelopes, now taken out of the record.
  std::vector<EnvelopeId> reschedule(const std::string& domain, Time now);

  bool has_record(const std::string& domain, Time now);
  std::size_t cached(const std::string& domain, Time now);

 private:
  struct Record {
    Time updated;
    std::string error;
    std::set<EnvelopeId> deferred;
  };
  // The live record for `domain`, or null; drops it if it has expired.
  Record* find(const std::string& domain, Time now);

  std::size_t max_deferred_;
  std::map<std::string, Record> records_;
};

}  // namespace tether::smtp
