#pragma once
// The crash tests' load and kills (crash_test.cc: tetherd delivering to a
// maildir; relay_crash_test.cc: tetherd relaying to a next hop): SmtpWire
// threads send numbered messages to one port, each attempt with its own
// Message-ID, retrying until a 250, while the daemon behind the port is
// SIGKILLed at seeded moments and restarted on the same --state. The tally
// then says which acknowledged messages the final maildir lacks and which
// it holds twice.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "relay_e2e/relay_lab.h"
#include "relay_e2e/smtp_wire.h"

namespace tether::testing::relay_e2e {

// What the load generator learned, shared by its threads.
struct CrashLoad {
  std::mutex mutex;
  std::set<std::string> acknowledged;  // Message-IDs that got a 250
  std::set<std::string> attempted;
  std::map<SendOutcome, unsigned> outcomes;
  std::vector<std::string> refusals;  // 4xx/5xx replies, the first few
  std::atomic<unsigned> next{0};
  std::atomic<unsigned> acked{0};
  std::atomic<unsigned> finished_threads{0};
  std::atomic<bool> stop{false};
};

struct CrashPlan {
  std::uint16_t port = 2525;   // where the load goes; `target` listens there
  std::string tag = "crash";   // Message-IDs are <tag-INDEX.ATTEMPT@relay-e2e.test>
  unsigned messages = 300;
  unsigned seed = 20240611;
  unsigned kills_during_load = 7;
  unsigned threads = 4;
};

// A plan for `port` and `tag` whose seed and load come from
// TETHER_CRASH_SEED and TETHER_CRASH_MESSAGES when set.
CrashPlan crash_plan_from_env(std::uint16_t port, const std::string& tag, unsigned default_messages);

struct CrashKills {
  unsigned kills = 0;
  unsigned of_a_live_daemon = 0;  // a kill only tests something if tetherd was running
  unsigned under_load = 0;        // and the point is kills while messages are in flight
  std::vector<std::string> log;
};

// Sends plan.messages to root@example.org through plan.port, killing and
// restarting `target` when the count of acknowledged messages passes each of
// kills_during_load seeded thresholds (after a further random 0-40 ms, so a
// kill lands anywhere in the work in flight), then once more after the load
// and as often as it takes to reach five kills. Returns when every thread is
// done; a failed restart fails the test.
CrashKills run_crash_load(RelayDaemon& target, const CrashPlan& plan, CrashLoad& load);

struct CrashTally {
  std::size_t files = 0;           // in maildir/new
  std::size_t distinct = 0;        // distinct Message-IDs among them
  unsigned missing = 0;            // acknowledged, not delivered
  unsigned duplicates = 0;         // acknowledged messages delivered more than once
  unsigned extra_copies = 0;
  unsigned unacknowledged_delivered = 0;  // attempts without a 250 that arrived anyway
  unsigned strangers = 0;          // Message-IDs nobody sent
  std::vector<std::string> missing_ids;   // the first few
};

CrashTally tally_crash(CrashLoad& load, const std::filesystem::path& maildir);
// One line: the plan, the load's outcomes and the tally.
std::string describe_crash(const CrashPlan& plan, const CrashKills& kills, int starts, CrashLoad& load,
                           const CrashTally& tally, const std::filesystem::path& maildir);

}  // namespace tether::testing::relay_e2e
