// Crash: tetherd is SIGKILLed at random (seeded) moments while a load
// generator sends it mail, and restarted on the same --state each time.
// Every message that got a 250 must be in the maildir once the last
// instance has drained its queue; mail delivered twice (killed between the
// maildir rename and the envelope's removal) and mail delivered without a
// 250 (killed between the commit and the reply) are counted and reported.
//
// The load generator (crash_load.h) is SmtpWire: each message gets its
// own connection and a Message-ID unique to the attempt, so a retry after
// a failed attempt is a new message as far as the maildir is concerned,
// and a duplicate can only come from tetherd delivering one accepted
// message twice.
//
// TETHER_CRASH_SEED=N replays a run's kill moments; TETHER_CRASH_MESSAGES=N
// changes the load (300 by default).

#include <boost/test/unit_test.hpp>

#include "support/network_namespace.h"
#include "relay_e2e/crash_load.h"
#include "relay_e2e/relay_lab.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::relay_e2e;

namespace {

constexpr std::uint16_t kPort = 2525;

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_crash)

BOOST_AUTO_TEST_CASE(every_acknowledged_message_is_delivered_across_sigkills,
                     *boost::unit_test::precondition(needs_root_and_tetherd)) {
  const CrashPlan plan = crash_plan_from_env(kPort, "crash", 300);
  BOOST_TEST_MESSAGE("crash: seed " << plan.seed << " (TETHER_CRASH_SEED), " << plan.messages << " messages");

  TestDirectory dir("relay-e2e-crash");
  auto ns = NetworkNamespace::create_and_enter("relaycrash");
  BOOST_TEST_REQUIRE(ns.ok(), (ns.ok() ? "" : ns.error().to_string()));
  const std::filesystem::path maildir = dir / "Maildir";
  RelayDaemon daemon(dir,
                     "listen on 127.0.0.1 port " + std::to_string(kPort) + "\n"
                     "action \"local\" maildir \"" + maildir.string() + "\"\n"
                     "match from any for domain \"example.org\" action \"local\"\n");
  std::string why;
  BOOST_TEST_REQUIRE(daemon.start(&why), why);

  CrashLoad load;
  const CrashKills kills = run_crash_load(daemon, plan, load);

  const bool drained = daemon.wait_queue_empty(Duration::seconds(60));
  BOOST_TEST(drained, "the queue did not drain; tetherd's log:\n" << daemon.log());
  pause_for(Duration::milliseconds(200));  // a delivery finishing as the queue empties

  const CrashTally tally = tally_crash(load, maildir);
  const std::string report = describe_crash(plan, kills, daemon.starts(), load, tally, maildir);
  BOOST_TEST_MESSAGE(report);
  for (const std::string& line : kills.log) BOOST_TEST_MESSAGE("  " + line);
  for (const std::string& refusal : load.refusals) BOOST_TEST_MESSAGE("  refusal: " + refusal);

  BOOST_TEST(kills.of_a_live_daemon == kills.kills,
             "a kill found tetherd already dead (it had crashed by itself); its log:\n" << daemon.log());
  BOOST_TEST(kills.under_load >= 1u, "every kill came after the load had finished: " << report);
  BOOST_TEST(load.acknowledged.size() == plan.messages, "every message is eventually acknowledged; " << report);
  BOOST_TEST(tally.missing == 0u, report);
  for (const std::string& id : tally.missing_ids) BOOST_TEST_MESSAGE("  missing: " + id);
  BOOST_TEST(tally.strangers == 0u, "messages nobody sent");
  if (tally.missing > 0 || !drained) BOOST_TEST_MESSAGE("tetherd's log:\n" << daemon.log());
  daemon.kill_hard();  // before the namespace goes
}

BOOST_AUTO_TEST_SUITE_END()
