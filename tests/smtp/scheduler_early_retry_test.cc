// The scheduler's profile-dependent behaviour on a manual clock: what a
// success does to the destination's other deferred envelopes (tether's
// flush bounded by max-deferred, OpenSMTPD's host-status records, Postfix's
// nothing) and Postfix's deferred-queue scan.

#include <boost/test/unit_test.hpp>

#include "smtp/host_status.h"
#include "smtp/scheduler.h"
#include "smtp/queue_test_support.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

const Time T0 = Time::from_ns(0) + Duration::seconds(1000);

// Created at `at` on the monotonic clock (T0 is kT0 on the wall clock).
Envelope queued(std::uint32_t n, Time at = T0) {
  Envelope e = relay_envelope("alice@example.net", "test@example.org", kT0 + (at - T0), Duration::days(4));
  e.id = make_envelope_id(0x20000000 + n, 1);
  return e;
}

SchedulerSettings settings(EarlyRetry mode, std::size_t max_deferred = 100) {
  SchedulerSettings s;
  s.early_retry = mode;
  s.max_deferred = max_deferred;
  return s;
}

// Inserts `n` envelopes at T0 and fails each once with `cause` at T0.
void queue_and_defer(Scheduler& s, std::uint32_t first, std::uint32_t n, DeferralCause cause, Time now = T0) {
  for (std::uint32_t i = first; i < first + n; ++i) s.insert(queued(i, now), now, kT0 + (now - T0));
  for (const auto& t : s.due(now)) (void)s.on_temporary_failure(t.id, "Connection refused", now, cause);
}

// Tries `id` by hand now and reports it delivered: how many others that made due.
std::size_t deliver_by_hand(Scheduler& s, std::uint32_t n, Time now) {
  BOOST_TEST_REQUIRE(s.schedule(queued(n).id, now) == 1u);
  auto tasks = s.due(now);
  BOOST_TEST_REQUIRE(tasks.size() == 1u);
  return s.on_delivered(tasks[0].id, now);
}

std::size_t pending_due_at(Scheduler& s, Time now) { return s.due(now).size(); }

}  // namespace

BOOST_AUTO_TEST_SUITE(scheduler_early_retry)

BOOST_AUTO_TEST_CASE(on_success_flushes_at_most_max_deferred_and_zero_flushes_none) {
  for (std::size_t max : {std::size_t(0), std::size_t(3), std::size_t(100)}) {
    Scheduler s(settings(EarlyRetry::on_success, max));
    queue_and_defer(s, 0, 10, DeferralCause::routes_down);
    const Time now = T0 + Duration::seconds(60);
    BOOST_TEST(deliver_by_hand(s, 0, now) == std::min<std::size_t>(max, 9));
    BOOST_TEST(pending_due_at(s, now) == std::min<std::size_t>(max, 9));
  }
}

BOOST_AUTO_TEST_CASE(none_leaves_every_deferred_envelope_on_its_own_schedule) {
  Scheduler s(settings(EarlyRetry::none));
  queue_and_defer(s, 0, 5, DeferralCause::transaction);
  const Time now = T0 + Duration::seconds(60);
  BOOST_TEST(deliver_by_hand(s, 0, now) == 0u);
  BOOST_TEST(pending_due_at(s, now) == 0u);
  BOOST_TEST(s.next_deadline() - T0 == Duration::seconds(400));
}

BOOST_AUTO_TEST_CASE(hoststat_an_mx2_that_never_reached_the_primary_does_not_flush) {
  // Refused connections, timeouts and 421 greetings never create a record
  // (mta_session.c: mta_error before a task), and mta_hoststat_cache
  // needs one: the first success after the outage flushes nothing.
  Scheduler s(settings(EarlyRetry::hoststat));
  queue_and_defer(s, 0, 3, DeferralCause::routes_down);
  BOOST_TEST(!s.host_status().has_record("example.org", T0));
  const Time back = T0 + Duration::minutes(5);
  BOOST_TEST(deliver_by_hand(s, 0, back) == 0u);
  BOOST_TEST(pending_due_at(s, back) == 0u);
  BOOST_TEST(s.deferred("example.org") == 2u);
  BOOST_TEST(s.next_deadline() - T0 == Duration::seconds(400));  // their own 400 s * n^2
  BOOST_TEST(s.host_status().has_record("example.org", back));   // the success made one
}

BOOST_AUTO_TEST_CASE(hoststat_caches_during_an_outage_after_a_success_and_flushes_on_the_next) {
  Scheduler s(settings(EarlyRetry::hoststat, 2));
  s.insert(queued(100), T0, kT0);
  for (const auto& t : s.due(T0)) BOOST_TEST(s.on_delivered(t.id, T0) == 0u);  // record created
  BOOST_TEST(s.host_status().has_record("EXAMPLE.org", T0));

  // The primary goes away: the routes fail, each envelope is cached while
  // the record holds fewer than max-deferred (2).
  const Time down = T0 + Duration::minutes(10);
  queue_and_defer(s, 0, 4, DeferralCause::routes_down, down);
  BOOST_TEST(s.host_status().cached("example.org", down) == 2u);

  // It comes back: one envelope's own retry gets through and the two cached
  // become due at once; the other one waits for its slot.
  const Time back = down + Duration::minutes(5);
  BOOST_TEST(deliver_by_hand(s, 3, back) == 2u);
  BOOST_TEST(pending_due_at(s, back) == 2u);
  BOOST_TEST(s.host_status().cached("example.org", back) == 0u);
  BOOST_TEST(s.deferred("example.org") == 1u);
}

BOOST_AUTO_TEST_CASE(hoststat_a_deferral_inside_a_transaction_updates_the_record_but_caches_nothing) {
  Scheduler s(settings(EarlyRetry::hoststat));
  queue_and_defer(s, 0, 3, DeferralCause::transaction);  // 451 to RCPT: mta_hoststat_update, cache=0
  BOOST_TEST(s.host_status().has_record("example.org", T0));
  BOOST_TEST(s.host_status().cached("example.org", T0) == 0u);
  BOOST_TEST(deliver_by_hand(s, 0, T0 + Duration::seconds(30)) == 0u);

  // A 5xx inside a transaction refreshes the record too; one with no
  // server behind it (a DNS failure) does not.
  Scheduler refused(settings(EarlyRetry::hoststat));
  refused.insert(queued(0), T0, kT0);
  refused.insert(queued(1), T0, kT0);
  auto tasks = refused.due(T0);
  BOOST_TEST_REQUIRE(tasks.size() == 2u);
  (void)refused.on_permanent_failure(tasks[0].id, "550 no such domain", T0, DeferralCause::other);
  BOOST_TEST(!refused.host_status().has_record("example.org", T0));
  (void)refused.on_permanent_failure(tasks[1].id, "550 5.1.1 no such user", T0, DeferralCause::transaction);
  BOOST_TEST(refused.host_status().has_record("example.org", T0));

  // Local deliveries and DNS failures touch no record.
  Scheduler other(settings(EarlyRetry::hoststat));
  queue_and_defer(other, 0, 1, DeferralCause::other);
  BOOST_TEST(!other.host_status().has_record("example.org", T0));
}

BOOST_AUTO_TEST_CASE(hoststat_records_expire_4h_after_their_last_update_with_their_cache) {
  SchedulerSettings set = settings(EarlyRetry::hoststat);
  set.retry.kind = RetryPolicy::Kind::constant;  // nothing comes due on its own in this test
  set.retry.interval = Duration::hours(2);
  Scheduler s(set);
  s.insert(queued(100), T0, kT0);
  for (const auto& t : s.due(T0)) (void)s.on_delivered(t.id, T0);
  const Time cached_at = T0 + Duration::hours(3);
  queue_and_defer(s, 0, 2, DeferralCause::routes_down, cached_at);
  BOOST_TEST(s.host_status().cached("example.org", cached_at) == 2u);
  // Caching does not update the record: it goes at T0 + 4 h, cache and all.
  BOOST_TEST(s.host_status().has_record("example.org", T0 + kHostStatExpireDelay - Duration::seconds(1)));
  const Time late = T0 + kHostStatExpireDelay;
  BOOST_TEST(!s.host_status().has_record("example.org", late));
  BOOST_TEST(deliver_by_hand(s, 0, late) == 0u);
  BOOST_TEST(pending_due_at(s, late) == 0u);
}

BOOST_AUTO_TEST_CASE(host_status_caches_only_into_a_live_record_and_up_to_max_deferred) {
  HostStatus h(2);
  BOOST_TEST(!h.cache("example.org", 1, T0));
  h.update("Example.ORG", "421 later", T0);
  BOOST_TEST(h.cache("example.org", 1, T0));
  BOOST_TEST(h.cache("example.org", 2, T0));
  BOOST_TEST(!h.cache("example.org", 3, T0));
  h.uncache("example.org", 1, T0);
  BOOST_TEST(h.cache("example.org", 3, T0));
  // An update moves the expiry to 4 h after it.
  h.update("example.org", "250 ok", T0 + Duration::hours(3));
  BOOST_TEST(h.cached("example.org", T0 + Duration::hours(6)) == 2u);
  BOOST_TEST((h.reschedule("example.org", T0 + Duration::hours(6)) == std::vector<EnvelopeId>{2, 3}));
  BOOST_TEST(h.reschedule("example.org", T0 + Duration::hours(6)).empty());
  BOOST_TEST(!h.has_record("example.org", T0 + Duration::hours(7)));
}

BOOST_AUTO_TEST_CASE(queue_scan_picks_a_retry_up_at_the_next_scan_and_new_mail_at_once) {
  SchedulerSettings set = settings(EarlyRetry::none);
  set.retry.kind = RetryPolicy::Kind::constant;
  set.retry.interval = Duration::seconds(60);
  set.queue_scan = Duration::seconds(300);
  set.scan_origin = T0 - Duration::seconds(100);  // scans at T0 + 200, + 500, ...
  Scheduler s(set);
  const Time arrival = T0 + Duration::seconds(10);
  s.insert(queued(0, arrival), arrival, kT0 + Duration::seconds(10));
  BOOST_TEST(s.next_deadline() == arrival);  // the incoming queue: at once
  auto first = s.due(arrival);
  BOOST_TEST_REQUIRE(first.size() == 1u);
  // Eligible 60 s later (T0 + 70), picked up by the scan at T0 + 200.
  auto out = s.on_temporary_failure(first[0].id, "421 later", arrival, DeferralCause::routes_down);
  BOOST_TEST(out.next_try - T0 == Duration::seconds(200));
  BOOST_TEST(s.next_deadline() - T0 == Duration::seconds(200));
  BOOST_TEST(s.due(T0 + Duration::seconds(199)).empty());
  auto second = s.due(T0 + Duration::seconds(200));
  BOOST_TEST_REQUIRE(second.size() == 1u);
  // Failing at the scan, eligible at T0 + 260: the next scan, T0 + 500.
  out = s.on_temporary_failure(second[0].id, "421 later", T0 + Duration::seconds(200), DeferralCause::routes_down);
  BOOST_TEST(out.next_try - T0 == Duration::seconds(500));

  // Without a scan interval the retry goes at its own time.
  set.queue_scan = Duration::zero();
  Scheduler exact(set);
  exact.insert(queued(1, arrival), arrival, kT0 + Duration::seconds(10));
  auto t = exact.due(arrival);
  BOOST_TEST_REQUIRE(t.size() == 1u);
  BOOST_TEST(exact.on_temporary_failure(t[0].id, "421", arrival).next_try - T0 == Duration::seconds(70));
}

BOOST_AUTO_TEST_SUITE_END()
