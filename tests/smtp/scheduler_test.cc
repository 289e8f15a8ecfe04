// The scheduler on a manual clock: the four retry policies, expiry, delay
// warnings, "the route came back", and the control operations.

#include <boost/test/unit_test.hpp>

#include <tuple>

#include "smtp/config_parser.h"
#include "smtp/route_penalty.h"
#include "smtp/scheduler.h"
#include "smtp/queue_test_support.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

const Time T0 = Time::from_ns(0) + Duration::seconds(1000);  // the monotonic clock at kT0

Envelope queued(std::uint32_t n, const std::string& rcpt = "bob@example.org", DeliveryType type = DeliveryType::mta,
                Duration ttl = Duration::days(4)) {
  Envelope e = relay_envelope("alice@example.net", rcpt, kT0, ttl);
  e.type = type;
  e.id = make_envelope_id(0x10000000 + n, 1);
  return e;
}

SchedulerSettings with_retry(RetryPolicy::Kind kind, Duration interval = {}, Duration max = {}) {
  SchedulerSettings s;
  s.retry.kind = kind;
  s.retry.interval = interval;
  s.retry.max = max;
  return s;
}

struct Run {
  std::vector<Duration> tries;  // since insertion
  bool expired = false;
  std::string drop_reason;
  Time end;
  std::vector<Duration> warnings_at;
};

// Fails every attempt `latency` after it starts, jumping the clock from
// deadline to deadline, until the envelope expires or `max_tries`.
Run fail_forever(Scheduler& s, const Envelope& e, Duration latency = Duration::zero(), std::size_t max_tries = 1000) {
  Run run;
  s.insert(e, T0, kT0);
  Time now = T0;
  while (!run.expired && run.tries.size() < max_tries) {
    Time deadline = s.next_deadline();
    if (deadline.is_never()) break;
    if (deadline > now) now = deadline;
    for (const auto& task : s.due(now)) {
      if (task.kind == SchedulerTask::Kind::expire) {
        run.expired = true;
        run.drop_reason = task.drop_reason;
        continue;
      }
      run.tries.push_back(now - T0);
      auto out = s.on_temporary_failure(task.id, "421 4.4.2 connection timed out", now + latency);
      if (out.delay_warning) run.warnings_at.push_back(now + latency - T0);
    }
  }
  run.end = now;
  return run;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scheduler)

BOOST_AUTO_TEST_CASE(opensmtpd_policy_tries_at_creation_plus_400_n_squared_until_ttl) {
  Scheduler s;
  BOOST_TEST(s.next_deadline().is_never());
  Run run = fail_forever(s, queued(1));
  BOOST_TEST_REQUIRE(run.expired);
  BOOST_TEST_REQUIRE(!run.tries.empty());
  BOOST_TEST(run.tries[0] == Duration::zero());  // a new envelope is tried at once
  for (std::size_t n = 1; n < run.tries.size(); ++n)
    BOOST_TEST(run.tries[n] == Duration::seconds(400) * static_cast<std::int64_t>(n * n), "retry " << n);
  // 400 s * 29^2 = 336400 s < 4 days = 345600 s < 400 s * 30^2
  BOOST_TEST(run.tries.size() - 1 == 29u);
  BOOST_TEST(run.end - T0 == Duration::days(4));
  BOOST_TEST(run.drop_reason.empty());  // so it is bounced: a failure report is made
  BOOST_TEST(s.size() == 0u);
  BOOST_TEST(s.counters().evp_expired == 1u);
  BOOST_TEST(s.counters().dlv_tempfail == 30u);
}

BOOST_AUTO_TEST_CASE(opensmtpd_policy_local_delivery_base_is_10s) {
  Scheduler s;
  Run run = fail_forever(s, queued(1, "bob@example.org", DeliveryType::mda), Duration::zero(), 5);
  std::vector<Duration> want{Duration::seconds(0), Duration::seconds(10), Duration::seconds(40),
                             Duration::seconds(90), Duration::seconds(160)};
  BOOST_TEST(run.tries == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(opensmtpd_policy_skips_slots_already_passed) {
  // An attempt that took 30 minutes (failing at 1800 s) is not retried at
  // 1600 s, in the past, but at the next slot, 3600 s.
  Scheduler s;
  s.insert(queued(1), T0, kT0);
  auto tasks = s.due(T0);
  BOOST_TEST_REQUIRE(tasks.size() == 1u);
  auto out = s.on_temporary_failure(tasks[0].id, "timeout", T0 + Duration::seconds(1800));
  BOOST_TEST(out.next_try - T0 == Duration::seconds(3600));
}

BOOST_AUTO_TEST_CASE(constant_policy_retries_every_interval_after_the_failure) {
  Scheduler s(with_retry(RetryPolicy::Kind::constant, Duration::seconds(60)));
  Run run = fail_forever(s, queued(1), Duration::seconds(5), 5);
  std::vector<Duration> want{Duration::seconds(0), Duration::seconds(65), Duration::seconds(130),
                             Duration::seconds(195), Duration::seconds(260)};
  BOOST_TEST(run.tries == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(exponential_policy_doubles_up_to_its_cap) {
  Scheduler s(with_retry(RetryPolicy::Kind::exponential, Duration::seconds(60), Duration::hours(1)));
  Run run = fail_forever(s, queued(1), Duration::zero(), 10);
  std::vector<std::int64_t> gaps;
  for (std::size_t i = 1; i < run.tries.size(); ++i) gaps.push_back((run.tries[i] - run.tries[i - 1]).whole_seconds());
  std::vector<std::int64_t> want{60, 120, 240, 480, 960, 1920, 3600, 3600, 3600};
  BOOST_TEST(gaps == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(postfix_policy_waits_the_time_in_queue_between_300s_and_4000s) {
  SchedulerSettings settings = with_retry(RetryPolicy::Kind::postfix, kPostfixMinimalBackoff, kPostfixMaximalBackoff);
  {
    // Failing at once: 300 s (the minimum) twice, then doubling, then 4000 s.
    Scheduler s(settings);
    Run run = fail_forever(s, queued(1), Duration::zero(), 9);
    std::vector<Duration> want;
    for (std::int64_t t : {0, 300, 600, 1200, 2400, 4800, 8800, 12800, 16800}) want.push_back(Duration::seconds(t));
    BOOST_TEST(run.tries == want, boost::test_tools::per_element());
  }
  {
    // Each try failing 127 s in (Linux's connect timeout): the wait is the
    // age at the failure, so it is not a multiple of anything.
    Scheduler s(settings);
    Run run = fail_forever(s, queued(2), Duration::seconds(127), 6);
    std::vector<Duration> want;
    for (std::int64_t t : {0, 427, 1108, 2470, 5194, 9321}) want.push_back(Duration::seconds(t));
    BOOST_TEST(run.tries == want, boost::test_tools::per_element());
  }
  {
    // Local deliveries follow the same rule: Postfix has one backoff.
    Scheduler s(settings);
    Run run = fail_forever(s, queued(3, "bob@example.org", DeliveryType::mda), Duration::zero(), 4);
    std::vector<Duration> want{Duration::seconds(0), Duration::seconds(300), Duration::seconds(600),
                               Duration::seconds(1200)};
    BOOST_TEST(run.tries == want, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(postfix_policy_bounds_come_from_the_config) {
  for (auto [line, min, max] : {std::tuple{"queue retry postfix", Duration::seconds(300), Duration::seconds(4000)},
                                std::tuple{"queue retry postfix min 1m max 10m", Duration::minutes(1), Duration::minutes(10)},
                                std::tuple{"queue retry postfix max 2h", Duration::seconds(300), Duration::hours(2)}}) {
    BOOST_TEST_CONTEXT(line) {
      ConfigParseResult r = parse_config(std::string(line) + "\naction \"out\" relay\nmatch from any for any action \"out\"\n",
                                         "smtpd.conf");
      BOOST_TEST_REQUIRE(r.ok(), r.error_text());
      SchedulerSettings settings = SchedulerSettings::from_config(r.config);
      BOOST_TEST((settings.retry.kind == RetryPolicy::Kind::postfix));
      BOOST_TEST(settings.retry.interval == min);
      BOOST_TEST(settings.retry.max == max);
      Scheduler s(settings);
      Run run = fail_forever(s, queued(1), Duration::zero(), 12);
      // Never sooner than min after a failure, never later than max.
      for (std::size_t i = 1; i < run.tries.size(); ++i) {
        BOOST_TEST(run.tries[i] - run.tries[i - 1] >= min);
        BOOST_TEST(run.tries[i] - run.tries[i - 1] <= max);
      }
      BOOST_TEST(run.tries.back() - run.tries[run.tries.size() - 2] == max);
    }
  }
}

BOOST_AUTO_TEST_CASE(policy_comes_from_the_config) {
  ConfigParseResult r = parse_config(
      "queue retry exponential 60s max 1h\nbounce warn-interval 1h, 4h\nqueue ttl 2d\n"
      "action \"out\" relay\nmatch from any for any action \"out\"\n",
      "smtpd.conf");
  BOOST_TEST_REQUIRE(r.ok(), r.error_text());
  SchedulerSettings s = SchedulerSettings::from_config(r.config);
  BOOST_TEST((s.retry.kind == RetryPolicy::Kind::exponential));
  BOOST_TEST(s.retry.interval == Duration::seconds(60));
  BOOST_TEST(s.retry.max == Duration::hours(1));
  BOOST_TEST_REQUIRE(s.warn_intervals.size() == 2u);
  BOOST_TEST(s.warn_intervals[1] == Duration::hours(4));
  RetrySchedule schedule(s.retry);
  BOOST_TEST(schedule.delay_after(DeliveryType::mta, 3) == Duration::seconds(240));
}

BOOST_AUTO_TEST_CASE(route_up_makes_deferred_mail_for_that_destination_due_at_once) {
  Scheduler s;
  for (std::uint32_t i = 0; i < 3; ++i) s.insert(queued(i, "u" + std::to_string(i) + "@example.org"), T0, kT0);
  s.insert(queued(9, "x@other.org"), T0, kT0);
  Time now = T0;
  for (const auto& t : s.due(now)) (void)s.on_temporary_failure(t.id, "421 no route", now);
  BOOST_TEST(s.deferred("example.org") == 3u);
  BOOST_TEST(s.next_deadline() - T0 == Duration::seconds(400));

  now = T0 + Duration::seconds(30);  // the tunnel's handshake completes
  BOOST_TEST(s.route_up("example.org", now) == 3u);
  BOOST_TEST(s.next_deadline() == now);
  auto tasks = s.due(now);
  BOOST_TEST(tasks.size() == 3u);
  for (const auto& t : tasks) BOOST_TEST(t.destination == "example.org");
  BOOST_TEST(s.route_up("nowhere.example", now) == 0u);
}

BOOST_AUTO_TEST_CASE(a_success_pulls_up_to_100_deferred_envelopes_for_its_destination) {
  Scheduler s;
  for (std::uint32_t i = 0; i < 151; ++i) s.insert(queued(i), T0, kT0);
  s.insert(queued(500, "y@other.org"), T0, kT0);
  Time now = T0;
  for (const auto& t : s.due(now)) (void)s.on_temporary_failure(t.id, "421 later", now);
  BOOST_TEST(s.deferred("example.org") == 151u);

  // One of them is tried again by hand and gets through.
  now = T0 + Duration::seconds(60);
  BOOST_TEST(s.schedule(queued(0).id, now) == 1u);
  auto first = s.due(now);
  BOOST_TEST_REQUIRE(first.size() == 1u);
  BOOST_TEST(s.on_delivered(first[0].id, now) == 100u);
  auto pulled = s.due(now);
  BOOST_TEST(pulled.size() == 100u);
  for (const auto& t : pulled) BOOST_TEST(t.destination == "example.org");
  BOOST_TEST(s.deferred("example.org") == 50u);
  BOOST_TEST(s.deferred("other.org") == 1u);
  BOOST_TEST(s.counters().dlv_ok == 1u);
}

BOOST_AUTO_TEST_CASE(delay_warning_once_per_warn_interval_and_never_for_null_sender) {
  {
    Scheduler s(with_retry(RetryPolicy::Kind::constant, Duration::minutes(10)));
    Run run = fail_forever(s, queued(1), Duration::zero(), 60);  // 10 hours of failures
    BOOST_TEST_REQUIRE(run.warnings_at.size() == 1u);
    BOOST_TEST(run.warnings_at[0] == Duration::hours(4));
  }
  {
    SchedulerSettings settings = with_retry(RetryPolicy::Kind::constant, Duration::minutes(10));
    settings.warn_intervals = {Duration::hours(4), Duration::hours(1)};
    Scheduler s(settings);
    Run run = fail_forever(s, queued(1), Duration::zero(), 60);
    std::vector<Duration> want{Duration::hours(1), Duration::hours(4)};
    BOOST_TEST(run.warnings_at == want, boost::test_tools::per_element());
  }
  {
    Scheduler s(with_retry(RetryPolicy::Kind::constant, Duration::minutes(10)));
    Envelope dsn = queued(2);
    dsn.sender = "";
    Run run = fail_forever(s, dsn, Duration::zero(), 60);
    BOOST_TEST(run.warnings_at.empty());
  }
  {
    Scheduler s(with_retry(RetryPolicy::Kind::constant, Duration::minutes(10)));
    Envelope report = queued(3);
    report.type = DeliveryType::bounce;
    Run run = fail_forever(s, report, Duration::zero(), 60);
    BOOST_TEST(run.warnings_at.empty());
  }
  {
    Scheduler s(with_retry(RetryPolicy::Kind::constant, Duration::minutes(10)));
    Envelope quiet = queued(4);
    quiet.dsn_notify = dsn_notify_failure;  // NOTIFY=FAILURE: no delay reports
    BOOST_TEST(fail_forever(s, quiet, Duration::zero(), 60).warnings_at.empty());
  }
  {
    // A recovered envelope already warned about is not warned about again.
    Scheduler s(with_retry(RetryPolicy::Kind::constant, Duration::minutes(10)));
    Envelope warned = queued(5);
    warned.last_warning = kT0 + Duration::hours(4);
    BOOST_TEST(fail_forever(s, warned, Duration::zero(), 60).warnings_at.empty());
  }
}

BOOST_AUTO_TEST_CASE(permanent_failure_bounces_but_a_bounce_is_never_bounced) {
  Scheduler s;
  Envelope normal = queued(1);
  Envelope from_null = queued(2);
  from_null.sender = "";
  Envelope report = queued(3);
  report.type = DeliveryType::bounce;
  Envelope never = queued(4);
  never.dsn_notify = dsn_notify_never;
  for (const auto* e : {&normal, &from_null, &report, &never}) s.insert(*e, T0, kT0);
  auto tasks = s.due(T0);
  BOOST_TEST_REQUIRE(tasks.size() == 4u);
  for (const auto& t : tasks) BOOST_TEST((t.kind == (t.id == report.id ? SchedulerTask::Kind::report
                                                                         : SchedulerTask::Kind::relay)));

  auto a = s.on_permanent_failure(normal.id, "550 5.1.1 no such user", T0);
  BOOST_TEST(a.report);
  BOOST_TEST(a.drop_reason.empty());
  auto b = s.on_permanent_failure(from_null.id, "550 5.1.1 no such user", T0);
  BOOST_TEST(!b.report);
  BOOST_TEST(b.drop_reason.find("<>") != std::string::npos);
  auto c = s.on_permanent_failure(report.id, "550 Invalid recipient", T0);
  BOOST_TEST(!c.report);
  BOOST_TEST(c.drop_reason.find("never reported") != std::string::npos);
  auto d = s.on_permanent_failure(never.id, "550 nope", T0);
  BOOST_TEST(!d.report);
  BOOST_TEST(s.size() == 0u);
  BOOST_TEST(s.counters().dlv_permfail == 4u);
  BOOST_TEST(s.counters().evp_bounce == 1u);

  // Expiry of a report (or of mail from <>) drops it too.
  Scheduler t;
  Envelope r2 = queued(5, "bob@example.org", DeliveryType::bounce, Duration::days(7));
  Run run = fail_forever(t, r2);
  BOOST_TEST(run.expired);
  BOOST_TEST(!run.drop_reason.empty());
}

BOOST_AUTO_TEST_CASE(pause_holds_deliveries_but_not_expiry) {
  Scheduler s;
  s.insert(queued(1), T0, kT0);
  s.insert(queued(2, "local@example.org", DeliveryType::mda), T0, kT0);
  s.pause(DeliveryType::mta);
  auto tasks = s.due(T0);
  BOOST_TEST_REQUIRE(tasks.size() == 1u);
  BOOST_TEST((tasks[0].kind == SchedulerTask::Kind::deliver));
  BOOST_TEST(s.next_deadline() - T0 == Duration::days(4));  // only the held one's expiry
  BOOST_TEST(s.row_state(queued(1).id, T0).held);
  s.resume(DeliveryType::mta);
  BOOST_TEST(s.next_deadline() <= T0);
  tasks = s.due(T0 + Duration::seconds(1));
  BOOST_TEST_REQUIRE(tasks.size() == 1u);
  BOOST_TEST(tasks[0].id == queued(1).id);
  BOOST_TEST(s.inflight() == 2u);

  // Held past its expiry: expired, not delivered.
  Scheduler p;
  p.insert(queued(3), T0, kT0);
  p.pause(DeliveryType::mta);
  BOOST_TEST(p.due(T0).empty());
  tasks = p.due(T0 + Duration::days(5));
  BOOST_TEST_REQUIRE(tasks.size() == 1u);
  BOOST_TEST((tasks[0].kind == SchedulerTask::Kind::expire));
}

BOOST_AUTO_TEST_CASE(schedule_remove_suspend_by_envelope_or_message) {
  Scheduler s;
  Envelope a = queued(1);
  Envelope b = a;
  b.id = make_envelope_id(a.msgid(), 2);
  Envelope c = queued(2);
  for (const auto* e : {&a, &b, &c}) s.insert(*e, T0, kT0);
  for (const auto& t : s.due(T0)) (void)s.on_temporary_failure(t.id, "421", T0);

  const Time now = T0 + Duration::seconds(10);
  BOOST_TEST(s.schedule(a.msgid(), now) == 2u);  // a message id: all its envelopes
  BOOST_TEST(s.due(now).size() == 2u);
  BOOST_TEST(s.schedule_all(now) == 1u);       // the two others are in flight
  BOOST_TEST(s.due(now).size() == 1u);
  BOOST_TEST(s.inflight() == 3u);

  // remove: in flight, so deleted when its attempt reports back.
  BOOST_TEST(s.remove(a.id).empty());
  auto out = s.on_temporary_failure(a.id, "421", now);
  BOOST_TEST(out.removed);
  BOOST_TEST(!s.contains(a.id));
  (void)s.on_temporary_failure(b.id, "421", now);
  (void)s.on_temporary_failure(c.id, "421", now);
  auto gone = s.remove(c.id);
  BOOST_TEST_REQUIRE(gone.size() == 1u);
  BOOST_TEST(gone[0] == c.id);
  BOOST_TEST(s.counters().evp_removed == 2u);

  // suspend / resume
  BOOST_TEST(s.suspend(b.id) == 1u);
  BOOST_TEST(s.schedule_all(now) == 0u);
  BOOST_TEST(s.next_deadline().is_never());
  BOOST_TEST(s.resume_envelope(b.msgid(), now) == 1u);
  BOOST_TEST(!s.next_deadline().is_never());
}

BOOST_AUTO_TEST_CASE(recovered_envelopes_resume_their_schedule) {
  Scheduler s;
  // Queued an hour ago (wall clock), failed 3 times, the last 10 minutes ago.
  Envelope e = queued(1);
  const WallTime wall_now = kT0 + Duration::hours(1);
  e.retry = 3;
  e.last_try = wall_now + Duration::minutes(-10);
  const Time now = Time::from_ns(0) + Duration::seconds(5);  // a fresh monotonic clock after restart
  s.insert(e, now, wall_now);
  // opensmtpd: creation + 400 * 3^2 = creation + 3600 s = now.
  BOOST_TEST(s.next_deadline() == now);
  auto row = s.row_state(e.id, now);
  BOOST_TEST((row.run == QueueRowState::Run::pending));
  BOOST_TEST(row.seconds == 0);
  BOOST_TEST(s.state(e.id)->retry == 3u);
}

BOOST_AUTO_TEST_CASE(route_penalties_grow_quadratically_to_an_hour) {
  RoutePenalties p;
  Time now = T0;
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 18; ++i) {
    // each failure comes while the route is still disabled
    delays.push_back(p.on_failure("mx.example.org", now).whole_seconds());
    BOOST_TEST(!p.usable("mx.example.org", now));
  }
  std::vector<std::int64_t> want{15, 60, 135, 240, 375, 540, 735, 960, 1215, 1500, 1815, 2160, 2535, 2940, 3375,
                                 3600, 3600, 3600};
  BOOST_TEST(delays == want, boost::test_tools::per_element());
  BOOST_TEST(p.usable("other", now));

  // When the penalty runs out the route is usable with one point less.
  RoutePenalties q;
  q.on_failure("r", now);
  q.on_failure("r", now);  // penalty 2: 60 s
  BOOST_TEST(q.disabled_until("r") - now == Duration::seconds(60));
  now = now + Duration::seconds(60);
  BOOST_TEST(q.usable("r", now));
  BOOST_TEST(q.penalty("r", now) == 1u);
  BOOST_TEST(q.on_failure("r", now) == Duration::seconds(60));  // back to 2, not 3
  q.clear("r");  // the tunnel came back
  BOOST_TEST(q.usable("r", now));
  BOOST_TEST(q.penalty("r", now) == 0u);
  BOOST_TEST(q.next_deadline(now).is_never());
}

BOOST_AUTO_TEST_SUITE_END()
