// RelayOutcomes and RelayReports (queue.c's outcome handling, bounce.c):
// what a delivery's outcome does to the scheduler, the envelope file and
// the subscribers, and how failures, delays and expiry become DSNs that are
// injected to the sender or dropped as OpenSMTPD drops them.

#include <boost/test/unit_test.hpp>

#include "node/relay_outcomes.h"
#include "node/relay_parts.h"
#include "node/relay_reports.h"
#include "smtp/bounce.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;
using Kind = MailRelayEvent::Kind;

namespace {

// Local mail for example.org; reports to anyone go out by MX.
const char kConf[] =
    "queue ttl 2h\n"
    "queue retry constant 10m\n"
    "bounce warn-interval 30m\n"
    "action \"local_mail\" maildir\n"
    "action \"out\" relay\n"
    "match from any for domain \"example.org\" action \"local_mail\"\n"
    "match from local for any action \"out\"\n";

// The seeds' relay: no rule sends local mail out, so reports are dropped.
const char kNoReportRoute[] =
    "action \"local_mail\" maildir\n"
    "match from any for domain \"example.org\" action \"local_mail\"\n";

struct Roles {
  explicit Roles(const char* conf) : p(conf) {}
  RelayParts p;
  RelayOutcomes outcomes{p.context, reports};
  RelayReports reports{p.context, outcomes};

  // Queues one envelope and hands it out as the scheduler would.
  smtp::EnvelopeId due_envelope() {
    const smtp::EnvelopeId id = p.queue_message("alice@example.net", {"bob@example.org"}, "local_mail").front();
    BOOST_TEST_REQUIRE(p.scheduler.due(p.host.now()).size() == 1u);
    return id;
  }
  std::vector<smtp::EnvelopeId> due_reports() {
    std::vector<smtp::EnvelopeId> ids;
    for (const smtp::SchedulerTask& t : p.scheduler.due(p.host.now()))
      if (t.kind == smtp::SchedulerTask::Kind::report) ids.push_back(t.id);
    return ids;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_outcomes)

BOOST_AUTO_TEST_CASE(delivered_leaves_the_scheduler_and_the_queue) {
  Roles r(kConf);
  const smtp::EnvelopeId id = r.due_envelope();
  r.outcomes.delivered(id, "delivered to bob", "/x/new/1");
  BOOST_TEST(!r.p.scheduler.contains(id));
  BOOST_TEST(r.p.queue.store().find(id) == nullptr);
  BOOST_TEST(r.p.counters.delivered == 1u);
  const MailRelayEvent* e = r.p.last(Kind::delivered);
  BOOST_TEST_REQUIRE(e != nullptr);
  BOOST_TEST(e->evpid == id);
  BOOST_TEST(e->destination == "example.org");
  BOOST_TEST(e->path.string() == "/x/new/1");
  BOOST_TEST(r.p.rearms >= 1u);
}

BOOST_AUTO_TEST_CASE(a_temporary_failure_is_kept_in_the_envelope_file) {
  Roles r(kConf);
  const smtp::EnvelopeId id = r.due_envelope();
  r.outcomes.temporary_failure(id, "421 4.7.0 try again later");
  const smtp::Envelope* env = r.p.queue.store().find(id);
  BOOST_TEST_REQUIRE(env != nullptr);
  BOOST_TEST(env->retry == 1u);
  BOOST_TEST(env->last_error == "421 4.7.0 try again later");
  BOOST_TEST(r.p.counters.temporary_failures == 1u);
  BOOST_TEST(r.p.count(Kind::temporary_failure) == 1u);
  BOOST_TEST(r.p.count(Kind::report_queued) == 0u);  // no delay warning yet
  BOOST_TEST(r.p.log().find("deferred: 421 4.7.0 try again later; next try in") != std::string::npos, r.p.log());
}

BOOST_AUTO_TEST_CASE(a_delay_past_the_warn_interval_queues_one_warning) {
  Roles r(kConf);
  const smtp::EnvelopeId id = r.due_envelope();
  r.p.run(Duration::minutes(31));
  r.outcomes.temporary_failure(id, "421 4.7.0 try again later");
  BOOST_TEST(r.p.count(Kind::report_queued) == 1u);
  const MailRelayEvent* queued = r.p.last(Kind::report_queued);
  BOOST_TEST_REQUIRE(queued != nullptr);
  BOOST_TEST(queued->detail == "delay warning about " + smtp::format_envelope_id(id));
  const smtp::Envelope* warning = r.p.queue.store().find(queued->evpid);
  BOOST_TEST_REQUIRE(warning != nullptr);
  BOOST_TEST((warning->report == smtp::ReportKind::delay));
  BOOST_TEST(r.p.queue.store().find(id) != nullptr);  // the mail itself stays queued
}

BOOST_AUTO_TEST_CASE(a_permanent_failure_becomes_a_failure_report_in_place) {
  Roles r(kConf);
  const smtp::EnvelopeId id = r.due_envelope();
  r.outcomes.permanent_failure(id, "550 5.1.1 unknown user");
  BOOST_TEST(r.p.counters.permanent_failures == 1u);
  BOOST_TEST(r.p.counters.reports_queued == 1u);
  const MailRelayEvent* queued = r.p.last(Kind::report_queued);
  BOOST_TEST_REQUIRE(queued != nullptr);
  BOOST_TEST(queued->evpid == id);  // the envelope is the report now
  BOOST_TEST(queued->detail == "failure report about " + smtp::format_envelope_id(id) + " to <alice@example.net>");
  const smtp::Envelope* report = r.p.queue.store().find(id);
  BOOST_TEST_REQUIRE(report != nullptr);
  BOOST_TEST((report->report == smtp::ReportKind::failure));
  BOOST_TEST(report->report_status == "5.1.1");
  // The event about the failure comes after the report's.
  BOOST_TEST((r.p.events.back().kind == Kind::permanent_failure));
}

BOOST_AUTO_TEST_CASE(a_failure_of_mail_from_the_null_sender_is_dropped_not_reported) {
  Roles r(kConf);
  const smtp::EnvelopeId id = r.p.queue_message("", {"bob@example.org"}, "local_mail").front();
  BOOST_TEST_REQUIRE(r.p.scheduler.due(r.p.host.now()).size() == 1u);
  r.outcomes.permanent_failure(id, "550 5.1.1 unknown user");
  BOOST_TEST(r.p.count(Kind::report_queued) == 0u);
  BOOST_TEST(r.p.queue.store().find(id) == nullptr);
  BOOST_TEST(r.p.log().find(": no report: ") != std::string::npos, r.p.log());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(relay_reports)

BOOST_AUTO_TEST_CASE(a_due_report_is_injected_to_the_sender_as_new_mail_from_the_null_sender) {
  Roles r(kConf);
  const smtp::EnvelopeId id = r.due_envelope();
  r.outcomes.permanent_failure(id, "550 5.1.1 unknown user");
  const std::vector<smtp::EnvelopeId> due = r.due_reports();
  BOOST_TEST_REQUIRE(due.size() == 1u);
  r.reports.inject(due);
  BOOST_TEST(r.p.counters.reports_injected == 1u);
  const MailRelayEvent* injected = r.p.last(Kind::report_injected);
  BOOST_TEST_REQUIRE(injected != nullptr);
  BOOST_TEST(injected->detail == "about " + smtp::format_message_id(smtp::message_of(id)) + " to <alice@example.net>");
  BOOST_TEST(injected->destination == "example.net");
  BOOST_TEST(r.p.queue.store().find(id) == nullptr);  // the report envelope is done
  const smtp::Envelope* dsn = r.p.queue.store().find(injected->evpid);
  BOOST_TEST_REQUIRE(dsn != nullptr);
  BOOST_TEST(dsn->sender.empty());
  BOOST_TEST(dsn->rcpt == "alice@example.net");
  BOOST_TEST(dsn->action == "out");
  BOOST_TEST((dsn->type == smtp::DeliveryType::mta));
  auto text = r.p.queue.store().read_message(injected->msgid);
  BOOST_TEST_REQUIRE(text.ok());
  BOOST_TEST(text->find("multipart/report") != std::string::npos);
  BOOST_TEST(r.p.scheduler.contains(injected->evpid));
  BOOST_TEST(r.p.log().find("failure report on message " + smtp::format_message_id(smtp::message_of(id)) +
                            " queued to <alice@example.net> as " + smtp::format_message_id(injected->msgid)) !=
                 std::string::npos,
             r.p.log());
}

BOOST_AUTO_TEST_CASE(a_report_no_rule_routes_is_dropped_with_opensmtpds_line) {
  Roles r(kNoReportRoute);
  const smtp::EnvelopeId id = r.due_envelope();
  r.outcomes.permanent_failure(id, "550 5.1.1 unknown user");
  const std::vector<smtp::EnvelopeId> due = r.due_reports();
  BOOST_TEST_REQUIRE(due.size() == 1u);
  r.reports.inject(due);
  BOOST_TEST(r.p.counters.reports_dropped == 1u);
  BOOST_TEST(r.p.counters.reports_injected == 0u);
  const MailRelayEvent* dropped = r.p.last(Kind::report_dropped);
  BOOST_TEST_REQUIRE(dropped != nullptr);
  BOOST_TEST(dropped->detail.find("PermFail injecting failure report on message " +
                                  smtp::format_message_id(smtp::message_of(id)) + " to <alice@example.net> for 1 envelope") !=
                 std::string::npos,
             dropped->detail);
  BOOST_TEST(r.p.queue.store().envelopes().empty());
}

BOOST_AUTO_TEST_CASE(reports_on_one_message_make_one_dsn) {
  Roles r(kConf);
  const std::vector<smtp::EnvelopeId> ids =
      r.p.queue_message("alice@example.net", {"bob@example.org", "carol@example.org"}, "local_mail");
  BOOST_TEST_REQUIRE(r.p.scheduler.due(r.p.host.now()).size() == 2u);
  for (smtp::EnvelopeId id : ids) r.outcomes.permanent_failure(id, "550 5.1.1 unknown user");
  const std::vector<smtp::EnvelopeId> due = r.due_reports();
  BOOST_TEST_REQUIRE(due.size() == 2u);
  r.reports.inject(due);
  BOOST_TEST(r.p.count(Kind::report_injected) == 1u);
  BOOST_TEST(r.p.queue.store().envelopes().size() == 1u);  // the DSN's
}

BOOST_AUTO_TEST_CASE(an_expired_envelope_is_reported_and_announced) {
  Roles r(kConf);
  const smtp::EnvelopeId id = r.due_envelope();
  r.outcomes.temporary_failure(id, "421 4.7.0 try again later");
  r.p.run(Duration::hours(2) + Duration::seconds(1));
  smtp::SchedulerTask expire;
  for (const smtp::SchedulerTask& t : r.p.scheduler.due(r.p.host.now()))
    if (t.kind == smtp::SchedulerTask::Kind::expire) expire = t;
  BOOST_TEST_REQUIRE(expire.id == id);
  r.reports.expire(expire);
  BOOST_TEST(r.p.counters.expired == 1u);
  const MailRelayEvent* expired = r.p.last(Kind::expired);
  BOOST_TEST_REQUIRE(expired != nullptr);
  BOOST_TEST(expired->evpid == id);
  BOOST_TEST(r.p.count(Kind::report_queued) >= 1u);
  const smtp::Envelope* report = r.p.queue.store().find(id);
  BOOST_TEST_REQUIRE(report != nullptr);
  BOOST_TEST(report->report_status == smtp::kExpiryStatus);
}

BOOST_AUTO_TEST_SUITE_END()
