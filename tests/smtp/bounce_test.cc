// Delivery status notifications (RFC 3464) and the seeds' "bounces fail on
// purpose" setup: a report that cannot be routed is dropped with OpenSMTPD's
// log line, never bounced, never looping.

#include <boost/test/unit_test.hpp>

#include "smtp/bounce.h"
#include "smtp/config_parser.h"
#include "smtp/queue_store.h"
#include "smtp/router.h"
#include "smtp/scheduler.h"
#include "smtp/queue_test_support.h"
#include "smtp/seed_configs.h"

using namespace tether;
using namespace tether::smtp;
using namespace tether::smtp::testing;

namespace {

const char kOriginal[] =
    "From: Alice <alice@example.net>\r\n"
    "To: bob@example.org\r\n"
    "Subject: lunch\r\n"
    "Message-ID: <1@example.net>\r\n"
    "\r\n"
    "See you at noon.\r\n"
    "--\r\n"
    "Alice\r\n";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find("\r\n", pos);
    BOOST_TEST_REQUIRE(end != std::string::npos, "no CRLF after byte " << pos);
    out.push_back(text.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

bool has_line(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::string boundary_of(const std::string& dsn) {
  auto at = dsn.find("boundary=\"");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  at += 10;
  return dsn.substr(at, dsn.find('"', at) - at);
}

Envelope failed_envelope() {
  Envelope e = relay_envelope("alice@example.net", "bob@example.org");
  e.id = make_envelope_id(0x52866920, 0x1234);
  e.hostname = "mx.example.com";
  e.last_try = kT0 + Duration::hours(1);
  return e;
}

const Time T0 = Time::from_ns(0) + Duration::seconds(1000);

}  // namespace

BOOST_AUTO_TEST_SUITE(bounce)

BOOST_AUTO_TEST_CASE(status_codes_come_from_the_reply) {
  BOOST_TEST(status_from_error("550 5.1.1 <bob@example.org>: Recipient address rejected", true) == "5.1.1");
  BOOST_TEST(status_from_error("552-5.2.2 mailbox full", true) == "5.2.2");
  BOOST_TEST(status_from_error("550 Invalid recipient", true) == "5.0.0");
  BOOST_TEST(status_from_error("451 4.7.1 greylisted", false) == "4.7.1");
  BOOST_TEST(status_from_error("550 4.1.1 mismatched class", true) == "5.0.0");
  BOOST_TEST(status_from_error("connection refused", false) == "4.0.0");
  BOOST_TEST(status_from_error("", true) == "5.0.0");
}

BOOST_AUTO_TEST_CASE(failure_report_is_an_rfc3464_multipart_report) {
  const Envelope failed = failed_envelope();
  const std::string error = "550 5.1.1 <bob@example.org>: Recipient address rejected";
  Envelope report = make_report_envelope(failed, ReportKind::failure, error, status_from_error(error, true),
                                         kT0 + Duration::hours(2));
  BOOST_TEST(report.id == failed.id);  // replaces it in place
  BOOST_TEST((report.type == DeliveryType::bounce));
  BOOST_TEST(report.expire - report.creation == kReportTtl);

  DeliveryReport r = build_report({report}, kOriginal, kT0 + Duration::hours(2));
  const std::string dsn = format_delivery_report(r);
  BOOST_TEST_MESSAGE(dsn);
  const auto lines = lines_of(dsn);
  const std::string b = boundary_of(dsn);
  BOOST_TEST(b.find("52866920") != std::string::npos);

  BOOST_TEST(has_line(lines, "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>"));
  BOOST_TEST(has_line(lines, "To: <alice@example.net>"));
  BOOST_TEST(has_line(lines, "Subject: Delivery status notification: error"));
  BOOST_TEST(has_line(lines, "Date: Wed, 15 Nov 2023 00:13:20 +0000"));
  BOOST_TEST(has_line(lines, "Auto-Submitted: auto-replied"));
  BOOST_TEST(has_line(lines, "MIME-Version: 1.0"));
  BOOST_TEST(has_line(lines, "Content-Type: multipart/report; report-type=delivery-status;"));
  // The header ends before the first boundary; exactly three parts and a close.
  std::size_t parts = 0;
  for (const auto& l : lines) parts += l == "--" + b;
  BOOST_TEST(parts == 3u);
  BOOST_TEST(lines.back() == "--" + b + "--");
  BOOST_TEST(has_line(lines, "Content-Type: text/plain; charset=us-ascii"));
  BOOST_TEST(has_line(lines, "Content-Type: message/delivery-status"));
  BOOST_TEST(has_line(lines, "Content-Type: message/rfc822"));
  BOOST_TEST(has_line(lines, "    bob@example.org: " + error));

  // The machine-readable part, field by field.
  BOOST_TEST(has_line(lines, "Reporting-MTA: dns; mx.example.com"));
  BOOST_TEST(has_line(lines, "Final-Recipient: rfc822; bob@example.org"));
  BOOST_TEST(has_line(lines, "Action: failed"));
  BOOST_TEST(has_line(lines, "Status: 5.1.1"));
  BOOST_TEST(has_line(lines, "Diagnostic-Code: smtp; " + error));
  BOOST_TEST(has_line(lines, "Last-Attempt-Date: Tue, 14 Nov 2023 23:13:20 +0000"));
  // Per-recipient fields come after a blank line that ends the per-message ones.
  auto rep = std::find(lines.begin(), lines.end(), "Reporting-MTA: dns; mx.example.com");
  BOOST_TEST_REQUIRE((rep != lines.end()));
  BOOST_TEST((rep + 1)->empty());
  BOOST_TEST(*(rep + 2) == "Final-Recipient: rfc822; bob@example.org");

  // The whole original message is returned, CRLF intact.
  BOOST_TEST(dsn.find(kOriginal) != std::string::npos);
  BOOST_TEST(dsn.find("\n\n") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(delay_report_says_delayed_and_returns_headers_only) {
  Envelope failed = failed_envelope();
  failed.dsn_orcpt = "rfc822;Bob@Example.org";
  failed.dsn_envid = "QQ314159";
  failed.last_error = "421 4.4.2 connection timed out";
  Envelope report = make_report_envelope(failed, ReportKind::delay, failed.last_error,
                                         status_from_error(failed.last_error, false), kT0 + Duration::hours(4),
                                         Duration::hours(4));
  BOOST_TEST(report.id == 0u);  // a new envelope beside the one still queued
  BOOST_TEST(report.expire == failed.expire);  // worth sending only while it is being tried
  DeliveryReport r = build_report({report}, kOriginal, kT0 + Duration::hours(4));
  BOOST_TEST(r.headers_only);
  const std::string dsn = format_delivery_report(r);
  const auto lines = lines_of(dsn);
  BOOST_TEST(has_line(lines, "Subject: Delivery status notification: delayed"));
  BOOST_TEST(has_line(lines, "Your message has been delayed for more than 4 hours for the following recipients:"));
  BOOST_TEST(has_line(lines, "Original-Envelope-Id: QQ314159"));
  BOOST_TEST(has_line(lines, "Original-Recipient: rfc822;Bob@Example.org"));
  BOOST_TEST(has_line(lines, "Action: delayed"));
  BOOST_TEST(has_line(lines, "Status: 4.4.2"));
  BOOST_TEST(has_line(lines, "Diagnostic-Code: smtp; 421 4.4.2 connection timed out"));
  BOOST_TEST(has_line(lines, "Will-Retry-Until: Sat, 18 Nov 2023 22:13:20 +0000"));
  BOOST_TEST(has_line(lines, "Content-Type: text/rfc822-headers"));
  BOOST_TEST(has_line(lines, "Subject: lunch"));
  BOOST_TEST(dsn.find("See you at noon.") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(expiry_report_and_non_smtp_diagnostics) {
  Envelope failed = failed_envelope();
  failed.last_error = "421 4.4.2 connection timed out";
  const std::string error = expiry_error(failed);
  BOOST_TEST(error == "message expired after 4 days in the queue (last error: 421 4.4.2 connection timed out)");
  Envelope report = make_report_envelope(failed, ReportKind::failure, error, kExpiryStatus, kT0 + Duration::days(4));
  const std::string dsn = format_delivery_report(build_report({report}, kOriginal, kT0 + Duration::days(4)));
  const auto lines = lines_of(dsn);
  BOOST_TEST(has_line(lines, "Status: 5.4.7"));
  BOOST_TEST(has_line(lines, "Diagnostic-Code: X-tether; " + error));
}

BOOST_AUTO_TEST_CASE(refusals_keep_reports_from_looping) {
  Envelope e = failed_envelope();
  BOOST_TEST(failure_report_refusal(e).empty());
  BOOST_TEST(delay_report_wanted(e));
  Envelope null = e;
  null.sender = "";
  BOOST_TEST(!failure_report_refusal(null).empty());
  BOOST_TEST(!delay_report_wanted(null));
  Envelope report = make_report_envelope(e, ReportKind::failure, "550 x", "5.0.0", kT0);
  BOOST_TEST(!failure_report_refusal(report).empty());
  BOOST_TEST(!delay_report_wanted(report));
  // The injected DSN is from <> and asks for nothing back.
  Envelope injected = injected_report_envelope(report, kT0, Duration::days(4));
  BOOST_TEST(injected.sender.empty());
  BOOST_TEST(injected.rcpt == "alice@example.net");
  BOOST_TEST(injected.destination == "example.net");
  BOOST_TEST(!failure_report_refusal(injected).empty());
}

// The seeds' relay (namorar): mail for test@example.com waits for carinho
// through the tunnel; `queue ttl 20d` runs out; the failure report to the
// internet sender cannot be routed ("we don't have a match rule that allows
// locally generated mail to be relayed to other internet hosts"), so it is
// dropped with OpenSMTPD's warning and the queue is empty: no loop.
BOOST_AUTO_TEST_CASE(seed_relay_bounces_fail_on_purpose_and_do_not_loop) {
  TempDir dir;
  Router router = seed_router("namorar");
  auto opened = QueueStore::open(dir.path(), seeded_ids(7));
  BOOST_TEST_REQUIRE(opened.ok());
  QueueStore& store = **opened;
  Scheduler scheduler(SchedulerSettings::from_config(router.config()));

  const std::string sender = "sender@other.host.example.com";
  RouteDecision in = router.route(RouteRequest::remote(*IpAddress::parse("198.51.100.7"), sender, "test@example.com"));
  BOOST_TEST_REQUIRE(in.delivers());
  std::vector<Envelope> envs{relay_envelope(sender, "test@example.com", kT0, router.config().queue.ttl)};
  envs[0].action = in.action_name();
  envs[0].hostname = "mx2.example.com";
  envs[0].destination = "vpn0.example.com";  // relay_in goes through one host
  const MessageId msgid = store.commit_message(kOriginal, envs).value();
  scheduler.insert(envs[0], T0, kT0);

  // The tunnel never comes up: every try fails until the 20 days are gone.
  Time now = T0;
  std::vector<std::string> log;
  std::size_t tries = 0;
  while (store.message_count() > 0 && tries < 1000) {
    Time deadline = scheduler.next_deadline();
    BOOST_TEST_REQUIRE(!deadline.is_never());
    now = std::max(now, deadline);
    const WallTime wall = kT0 + (now - T0);
    for (const auto& task : scheduler.due(now)) {
      Envelope e = *store.find(task.id);
      switch (task.kind) {
        case SchedulerTask::Kind::relay: {
          ++tries;
          auto out = scheduler.on_temporary_failure(task.id, "421 vpn0.example.com: connection timed out", now);
          e.retry++;
          e.last_try = wall;
          e.last_error = "421 vpn0.example.com: connection timed out";
          if (out.delay_warning) {
            Envelope warn = make_report_envelope(e, ReportKind::delay, e.last_error, "4.4.1", wall, *out.delay_warning);
            e.last_warning = wall;
            BOOST_TEST_REQUIRE(store.add_envelope(msgid, warn).ok());
            scheduler.insert(warn, now, wall);
          }
          BOOST_TEST_REQUIRE(store.update(e).ok());
          break;
        }
        case SchedulerTask::Kind::expire: {
          BOOST_TEST(task.drop_reason.empty());
          Envelope report = make_report_envelope(e, ReportKind::failure, expiry_error(e), kExpiryStatus, wall);
          BOOST_TEST_REQUIRE(store.update(report).ok());  // in place: one atomic rename
          scheduler.insert(report, now, wall);
          break;
        }
        case SchedulerTask::Kind::report: {
          // Inject: route a local message from <> to the sender.
          RouteDecision d = router.route(RouteRequest::local("", e.sender));
          BOOST_TEST_REQUIRE(!d.delivers());
          log.push_back(injection_failure_log(true, e.msgid(), e.sender, 1, d.reply));
          auto out = scheduler.on_permanent_failure(task.id, d.reply, now);
          BOOST_TEST(!out.report);  // a report is never reported
          BOOST_TEST_REQUIRE(store.remove(task.id).ok());
          break;
        }
        case SchedulerTask::Kind::deliver:
          BOOST_FAIL("nothing here is delivered locally");
      }
    }
  }
  BOOST_TEST(store.message_count() == 0u);
  BOOST_TEST(scheduler.size() == 0u);
  BOOST_TEST(now - T0 >= Duration::days(20));
  // One delay warning (4h) and one failure report, both refused.
  BOOST_TEST_REQUIRE(log.size() == 2u);
  const std::string want = "warn: PermFail injecting failure report on message " + format_message_id(msgid) +
                           " to <sender@other.host.example.com> for 1 envelope: 550 Invalid recipient: "
                           "<sender@other.host.example.com>";
  BOOST_TEST(log[1] == want);
  BOOST_TEST_MESSAGE(log[1]);
  BOOST_TEST(tries > 29u);
}

// With the one line the seed suggests ("match from local for any action
// relay_out"), the report is injected as a message from <>; when that fails
// in turn it is dropped, not bounced.
BOOST_AUTO_TEST_CASE(injected_report_failing_in_turn_is_dropped) {
  TempDir dir;
  auto opened = QueueStore::open(dir.path(), seeded_ids(8));
  BOOST_TEST_REQUIRE(opened.ok());
  QueueStore& store = **opened;
  Scheduler scheduler;
  ConfigParseResult cfg = parse_config("action \"relay_out\" relay\nmatch from local for any action \"relay_out\"\n",
                                       "smtpd.conf");
  BOOST_TEST_REQUIRE(cfg.ok(), cfg.error_text());
  Router router(std::make_shared<const Config>(std::move(cfg.config)), LocalIdentity{"mx.example.com", {}, {}});

  std::vector<Envelope> envs{relay_envelope("alice@example.net", "bob@example.org")};
  const MessageId msgid = store.commit_message(kOriginal, envs).value();
  scheduler.insert(envs[0], T0, kT0);
  auto tasks = scheduler.due(T0);
  BOOST_TEST_REQUIRE(tasks.size() == 1u);
  auto failed = scheduler.on_permanent_failure(tasks[0].id, "550 5.1.1 no such user", T0);
  BOOST_TEST_REQUIRE(failed.report);
  Envelope report = make_report_envelope(envs[0], ReportKind::failure, "550 5.1.1 no such user", "5.1.1", kT0);
  BOOST_TEST_REQUIRE(store.update(report).ok());
  scheduler.insert(report, T0, kT0);

  tasks = scheduler.due(T0);
  BOOST_TEST_REQUIRE(tasks.size() == 1u);
  BOOST_TEST((tasks[0].kind == SchedulerTask::Kind::report));
  RouteDecision d = router.route(RouteRequest::local("", report.sender));
  BOOST_TEST_REQUIRE(d.delivers());
  Envelope dsn_env = injected_report_envelope(report, kT0, router.config().queue.ttl);
  dsn_env.action = d.action_name();
  std::vector<Envelope> dsn_envs{dsn_env};
  const std::string dsn = format_delivery_report(build_report({report}, store.read_message(msgid).value(), kT0));
  const MessageId dsn_msg = store.commit_message(dsn, dsn_envs).value();
  BOOST_TEST(scheduler.on_delivered(tasks[0].id, T0) == 0u);
  BOOST_TEST_REQUIRE(store.remove(report.id).ok());
  BOOST_TEST(store.envelopes_of(msgid).empty());

  // The DSN itself bounces at alice's server: dropped.
  scheduler.insert(dsn_envs[0], T0, kT0);
  tasks = scheduler.due(T0);
  BOOST_TEST_REQUIRE(tasks.size() == 1u);
  auto out = scheduler.on_permanent_failure(tasks[0].id, "550 5.1.1 alice left", T0);
  BOOST_TEST(!out.report);
  BOOST_TEST(!out.drop_reason.empty());
  BOOST_TEST_REQUIRE(store.remove(dsn_envs[0].id).ok());
  BOOST_TEST(store.envelopes_of(dsn_msg).empty());
  BOOST_TEST(scheduler.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
