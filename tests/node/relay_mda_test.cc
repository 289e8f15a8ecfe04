// RelayMda (mda.c): local deliveries off the loop, a bounded number at
// once and mbox ones one at a time; an envelope that expands into several
// alias targets becomes one envelope per target.

#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "node/relay_mda.h"
#include "node/relay_outcomes.h"
#include "node/relay_parts.h"
#include "node/relay_reports.h"

using namespace tether;
using namespace tether::node;
using namespace tether::testing;
using Kind = MailRelayEvent::Kind;

namespace {

const char kConf[] =
    "table aliases { staff = \"bob, carol\" }\n"
    "action \"local_mail\" maildir\n"
    "action \"aliased\" maildir alias <aliases>\n"
    "action \"spool\" mbox\n"
    "match from any for domain \"example.org\" action \"local_mail\"\n";

struct Mda {
  Mda() : p(kConf) {}
  void deliver_due() {
    for (const smtp::SchedulerTask& t : p.scheduler.due(p.host.now())) {
      BOOST_TEST_REQUIRE((t.kind == smtp::SchedulerTask::Kind::deliver));
      mda.add_due(t.id);
    }
    mda.kick();
  }
  RelayParts p;
  RelayOutcomes outcomes{p.context, reports};
  RelayReports reports{p.context, outcomes};
  RelayMda mda{p.context, outcomes};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_mda)

BOOST_AUTO_TEST_CASE(a_local_envelope_is_delivered_off_the_loop) {
  Mda m;
  const smtp::EnvelopeId id = m.p.queue_message("alice@example.net", {"bob@example.org"}, "local_mail").front();
  m.deliver_due();
  BOOST_TEST(m.p.count(Kind::delivery_attempt) == 0u);  // kick() only posts
  m.p.run();
  BOOST_TEST(m.p.count(Kind::delivery_attempt) == 1u);
  BOOST_TEST(m.mda.in_flight() == 1u);
  BOOST_TEST(m.p.held.held() == 1u);
  m.p.release();
  BOOST_TEST(m.mda.in_flight() == 0u);
  const MailRelayEvent* delivered = m.p.last(Kind::delivered);
  BOOST_TEST_REQUIRE(delivered != nullptr, m.p.log());
  BOOST_TEST(delivered->evpid == id);
  BOOST_TEST(std::filesystem::exists(delivered->path));
  BOOST_TEST(delivered->path.string().find("/home/bob/") != std::string::npos, delivered->path.string());
}

BOOST_AUTO_TEST_CASE(at_most_the_configured_number_run_at_once) {
  Mda m;
  m.p.options.local_deliveries_in_flight = 2;
  m.p.queue_message("alice@example.net", {"bob@example.org", "carol@example.org", "dave@example.org"}, "local_mail");
  m.deliver_due();
  m.p.run();
  BOOST_TEST(m.mda.in_flight() == 2u);
  BOOST_TEST(m.mda.waiting() == 1u);
  m.p.release();  // the two finish; the third starts
  BOOST_TEST(m.mda.in_flight() == 1u);
  BOOST_TEST(m.mda.waiting() == 0u);
  m.p.release();
  BOOST_TEST(m.p.count(Kind::delivered) == 3u, m.p.log());
}

BOOST_AUTO_TEST_CASE(mbox_deliveries_run_one_at_a_time) {
  Mda m;
  m.p.queue_message("alice@example.net", {"bob@example.org", "carol@example.org"}, "spool");
  m.deliver_due();
  m.p.run();
  BOOST_TEST(m.mda.in_flight() == 1u);
  BOOST_TEST(m.mda.waiting() == 1u);
  m.p.release();
  BOOST_TEST(m.mda.in_flight() == 1u);
  m.p.release();
  BOOST_TEST(m.p.count(Kind::delivered) == 2u, m.p.log());
  BOOST_TEST(std::filesystem::exists(m.p.options.mbox_spool / "bob"));
}

BOOST_AUTO_TEST_CASE(an_alias_expands_into_one_envelope_per_target) {
  Mda m;
  const smtp::EnvelopeId id = m.p.queue_message("alice@example.net", {"staff@example.org"}, "aliased").front();
  m.deliver_due();
  m.p.run();
  m.p.release();
  BOOST_TEST(m.p.queue.store().find(id) == nullptr, m.p.log());  // replaced by its targets
  BOOST_TEST(m.p.queue.store().envelopes().size() == 2u);
  BOOST_TEST(m.p.log().find("expanded into 2 envelopes") != std::string::npos, m.p.log());
  m.deliver_due();
  m.p.run();
  m.p.release();
  BOOST_TEST(m.p.count(Kind::delivered) == 2u, m.p.log());
}

BOOST_AUTO_TEST_CASE(a_delivery_finishing_after_the_relay_stopped_is_not_heard) {
  Mda m;
  m.p.queue_message("alice@example.net", {"bob@example.org"}, "local_mail");
  m.deliver_due();
  m.p.run();
  BOOST_TEST(m.mda.in_flight() == 1u);
  m.mda.cancel_all();
  m.p.queue.close();
  m.p.release();
  BOOST_TEST(m.p.count(Kind::delivered) == 0u);
  BOOST_TEST(m.mda.in_flight() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
