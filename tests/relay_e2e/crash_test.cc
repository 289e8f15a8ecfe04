// Crash: tetherd is SIGKILLed at random (seeded) moments while a load
// generator sends it mail, and restarted on the same --state each time.
// Every message that got a 250 must be in the maildir once the last
// instance has drained its queue; mail delivered twice (killed between the
// maildir rename and the envelope's removal) and mail delivered without a
// 250 (killed between the commit and the reply) are counted and reported.
//
// The load generator is SmtpWire: each message gets its own connection and
// a Message-ID unique to the attempt, so a retry after a failed attempt
// is a new message as far as the maildir is concerned, and a duplicate can
// only come from tetherd delivering one accepted message twice.
//
// TETHER_CRASH_SEED=N replays a run's kill moments; TETHER_CRASH_MESSAGES=N
// changes the load (300 by default).

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "support/network_namespace.h"
#include "relay_e2e/relay_lab.h"
#include "relay_e2e/smtp_wire.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::relay_e2e;

namespace {

constexpr std::uint16_t kPort = 2525;

unsigned env_number(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return static_cast<unsigned>(std::strtoul(v, nullptr, 10));
}

std::string message_id(unsigned index, unsigned attempt) {
  return "<crash-" + std::to_string(index) + "." + std::to_string(attempt) + "@relay-e2e.test>";
}

std::string message_for(unsigned index, unsigned attempt) {
  std::string m = "Message-ID: " + message_id(index, attempt) + "\r\n" +
                  "From: <load@relay-e2e.test>\r\nTo: <root@example.org>\r\n" +
                  "Subject: crash test message " + std::to_string(index) + ", attempt " + std::to_string(attempt) +
                  "\r\n\r\n";
  // About 2 KB of body, like smtp-source -l 2048.
  for (int line = 0; line < 30; ++line) m += "line " + std::to_string(line) + " " + std::string(60, 'x') + "\r\n";
  return m;
}

// What the load generator learned, shared by its threads.
struct Load {
  std::mutex mutex;
  std::set<std::string> acknowledged;  // Message-IDs that got a 250
  std::set<std::string> attempted;
  std::map<SendOutcome, unsigned> outcomes;
  std::vector<std::string> refusals;   // 4xx/5xx replies, the first few
  std::atomic<unsigned> next{0};
  std::atomic<unsigned> acked{0};
  std::atomic<unsigned> finished_threads{0};
  std::atomic<bool> stop{false};
};

void generate(Load& load, unsigned messages, std::chrono::steady_clock::time_point deadline) {
  for (unsigned index = load.next++; index < messages; index = load.next++) {
    for (unsigned attempt = 1; !load.stop && std::chrono::steady_clock::now() < deadline; ++attempt) {
      const std::string id = message_id(index, attempt);
      {
        std::lock_guard<std::mutex> lock(load.mutex);
        load.attempted.insert(id);
      }
      SendResult r = send_message(kPort, "load@relay-e2e.test", "root@example.org", message_for(index, attempt),
                                  Duration::seconds(10));
      {
        std::lock_guard<std::mutex> lock(load.mutex);
        ++load.outcomes[r.outcome];
        if (r.outcome == SendOutcome::accepted) load.acknowledged.insert(id);
        if (r.outcome == SendOutcome::refused && load.refusals.size() < 5) load.refusals.push_back(r.detail);
      }
      if (r.outcome == SendOutcome::accepted) {
        ++load.acked;
        break;
      }
      // tetherd is down or restarting: try again shortly, as a sender would.
      pause_for(Duration::milliseconds(20));
    }
  }
  ++load.finished_threads;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(relay_crash)

BOOST_AUTO_TEST_CASE(every_acknowledged_message_is_delivered_across_sigkills,
                     *boost::unit_test::precondition(needs_root_and_tetherd)) {
  const unsigned seed = env_number("TETHER_CRASH_SEED", 20240611);
  const unsigned messages = env_number("TETHER_CRASH_MESSAGES", 300);
  constexpr unsigned kKillsDuringLoad = 7;
  constexpr unsigned kThreads = 4;
  BOOST_TEST_MESSAGE("crash: seed " << seed << " (TETHER_CRASH_SEED), " << messages << " messages");
  std::mt19937 rng(seed);

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

  // Kill when the count of acknowledged messages passes each threshold
  // (spread over the run wherever the machine's speed puts them), after a
  // further random 0-40 ms so the kill lands anywhere in the work in flight:
  // mid-DATA, mid-commit, mid-delivery, between a delivery and its removal.
  std::vector<unsigned> thresholds;
  std::uniform_int_distribution<unsigned> where(messages / 20, messages - messages / 20);
  for (unsigned i = 0; i < kKillsDuringLoad; ++i) thresholds.push_back(where(rng));
  std::sort(thresholds.begin(), thresholds.end());
  std::uniform_int_distribution<int> jitter_ms(0, 40);

  Load load;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) threads.emplace_back([&] { generate(load, messages, deadline); });
  struct Joiner {
    Load& load;
    std::vector<std::thread>& threads;
    ~Joiner() {
      load.stop = true;
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } joiner{load, threads};

  unsigned kills = 0, kills_of_a_live_daemon = 0, kills_under_load = 0;
  std::vector<std::string> kill_log;
  auto kill_and_restart = [&](const std::string& when) {
    pause_for(Duration::milliseconds(jitter_ms(rng)));
    const pid_t pid = daemon.pid();
    // A kill only tests something if it hit a running tetherd, and the
    // point of the test is kills while messages are in flight.
    if (daemon.running()) ++kills_of_a_live_daemon;
    if (load.finished_threads < kThreads) ++kills_under_load;
    daemon.kill_hard();
    ++kills;
    kill_log.push_back("kill " + std::to_string(kills) + " (pid " + std::to_string(pid) + ") " + when + ", " +
                       std::to_string(load.acked.load()) + " acknowledged");
    std::string restart_why;
    BOOST_TEST_REQUIRE(daemon.start(&restart_why), restart_why);
  };
  for (unsigned threshold : thresholds) {
    while (load.acked < threshold && load.finished_threads < kThreads && std::chrono::steady_clock::now() < deadline)
      pause_for(Duration::milliseconds(2));
    if (load.finished_threads == kThreads) break;
    kill_and_restart("after " + std::to_string(threshold) + " acknowledged");
  }
  while (load.finished_threads < kThreads && std::chrono::steady_clock::now() < deadline)
    pause_for(Duration::milliseconds(10));
  // One more while the last messages are being delivered, and however many
  // it takes to reach five if the load outran the thresholds.
  do kill_and_restart("after the load");
  while (kills < 5);
  load.stop = true;
  for (auto& t : threads) t.join();

  const bool drained = daemon.wait_queue_empty(Duration::seconds(60));
  BOOST_TEST(drained, "the queue did not drain; tetherd's log:\n" << daemon.log());
  pause_for(Duration::milliseconds(200));  // a delivery finishing as the queue empties

  const std::map<std::string, int> delivered = message_ids_in(maildir);
  unsigned missing = 0, duplicates = 0, extra_copies = 0, unacknowledged_delivered = 0, strangers = 0;
  std::vector<std::string> missing_ids;
  for (const std::string& id : load.acknowledged) {
    if (!delivered.count(id)) {
      ++missing;
      if (missing_ids.size() < 10) missing_ids.push_back(id);
    }
  }
  for (const auto& [id, copies] : delivered) {
    if (copies > 1) {
      ++duplicates;
      extra_copies += static_cast<unsigned>(copies - 1);
    }
    if (!load.acknowledged.count(id)) (load.attempted.count(id) ? unacknowledged_delivered : strangers)++;
  }
  std::ostringstream report;
  report << "crash: seed " << seed << ", " << kills << " kills, " << daemon.starts() << " starts; "
         << load.attempted.size() << " attempts for " << messages << " messages: "
         << load.outcomes[SendOutcome::accepted] << " acknowledged, " << load.outcomes[SendOutcome::in_doubt]
         << " in doubt, " << load.outcomes[SendOutcome::refused] << " refused, "
         << load.outcomes[SendOutcome::no_session] << " without a session; maildir: " << count_files(maildir / "new")
         << " files, " << delivered.size() << " distinct Message-IDs; acknowledged but missing: " << missing
         << "; delivered twice or more: " << duplicates << " (" << extra_copies
         << " extra copies); delivered without a 250: " << unacknowledged_delivered
         << "; unfinished files left in tmp/: " << count_files(maildir / "tmp");
  BOOST_TEST_MESSAGE(report.str());
  for (const std::string& line : kill_log) BOOST_TEST_MESSAGE("  " + line);
  for (const std::string& refusal : load.refusals) BOOST_TEST_MESSAGE("  refusal: " + refusal);

  BOOST_TEST(kills_of_a_live_daemon == kills, "a kill found tetherd already dead (it had crashed by itself); its log:\n" << daemon.log());
  BOOST_TEST(kills_under_load >= 1u, "every kill came after the load had finished: " << report.str());
  BOOST_TEST(load.acknowledged.size() == messages, "every message is eventually acknowledged; " << report.str());
  BOOST_TEST(missing == 0u, report.str());
  for (const std::string& id : missing_ids) BOOST_TEST_MESSAGE("  missing: " + id);
  BOOST_TEST(strangers == 0u, "messages nobody sent");
  if (missing > 0 || !drained) BOOST_TEST_MESSAGE("tetherd's log:\n" << daemon.log());
  daemon.kill_hard();  // before the namespace goes
}

BOOST_AUTO_TEST_SUITE_END()
