#include "relay_e2e/crash_load.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <sstream>
#include <thread>

namespace tether::testing::relay_e2e {

namespace {

std::string message_id(const std::string& tag, unsigned index, unsigned attempt) {
  return "<" + tag + "-" + std::to_string(index) + "." + std::to_string(attempt) + "@relay-e2e.test>";
}

std::string message_for(const std::string& tag, unsigned index, unsigned attempt) {
  std::string m = "Message-ID: " + message_id(tag, index, attempt) + "\r\n" +
                  "From: <load@relay-e2e.test>\r\nTo: <root@example.org>\r\n" +
                  "Subject: crash test message " + std::to_string(index) + ", attempt " + std::to_string(attempt) +
                  "\r\n\r\n";
  // About 2 KB of body, like smtp-source -l 2048.
  for (int line = 0; line < 30; ++line) m += "line " + std::to_string(line) + " " + std::string(60, 'x') + "\r\n";
  return m;
}

void generate(CrashLoad& load, const CrashPlan& plan, std::chrono::steady_clock::time_point deadline) {
  for (unsigned index = load.next++; index < plan.messages; index = load.next++) {
    for (unsigned attempt = 1; !load.stop && std::chrono::steady_clock::now() < deadline; ++attempt) {
      const std::string id = message_id(plan.tag, index, attempt);
      {
        std::lock_guard<std::mutex> lock(load.mutex);
        load.attempted.insert(id);
      }
      SendResult r = send_message(plan.port, "load@relay-e2e.test", "root@example.org",
                                  message_for(plan.tag, index, attempt), Duration::seconds(10));
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

unsigned env_number(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  return static_cast<unsigned>(std::strtoul(v, nullptr, 10));
}

}  // namespace

CrashPlan crash_plan_from_env(std::uint16_t port, const std::string& tag, unsigned default_messages) {
  CrashPlan plan;
  plan.port = port;
  plan.tag = tag;
  plan.seed = env_number("TETHER_CRASH_SEED", plan.seed);
  plan.messages = env_number("TETHER_CRASH_MESSAGES", default_messages);
  return plan;
}

CrashKills run_crash_load(RelayDaemon& target, const CrashPlan& plan, CrashLoad& load) {
  std::mt19937 rng(plan.seed);
  std::vector<unsigned> thresholds;
  std::uniform_int_distribution<unsigned> where(plan.messages / 20, plan.messages - plan.messages / 20);
  for (unsigned i = 0; i < plan.kills_during_load; ++i) thresholds.push_back(where(rng));
  std::sort(thresholds.begin(), thresholds.end());
  std::uniform_int_distribution<int> jitter_ms(0, 40);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < plan.threads; ++t) threads.emplace_back([&] { generate(load, plan, deadline); });
  struct Joiner {
    CrashLoad& load;
    std::vector<std::thread>& threads;
    ~Joiner() {
      load.stop = true;
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } joiner{load, threads};

  CrashKills k;
  auto kill_and_restart = [&](const std::string& when) {
    pause_for(Duration::milliseconds(jitter_ms(rng)));
    const pid_t pid = target.pid();
    if (target.running()) ++k.of_a_live_daemon;
    if (load.finished_threads < plan.threads) ++k.under_load;
    target.kill_hard();
    ++k.kills;
    k.log.push_back("kill " + std::to_string(k.kills) + " (pid " + std::to_string(pid) + ") " + when + ", " +
                    std::to_string(load.acked.load()) + " acknowledged");
    std::string restart_why;
    BOOST_TEST_REQUIRE(target.start(&restart_why), restart_why);
  };
  for (unsigned threshold : thresholds) {
    while (load.acked < threshold && load.finished_threads < plan.threads &&
           std::chrono::steady_clock::now() < deadline)
      pause_for(Duration::milliseconds(2));
    if (load.finished_threads == plan.threads) break;
    kill_and_restart("after " + std::to_string(threshold) + " acknowledged");
  }
  while (load.finished_threads < plan.threads && std::chrono::steady_clock::now() < deadline)
    pause_for(Duration::milliseconds(10));
  // One more while the last messages are being delivered, and however many
  // it takes to reach five if the load outran the thresholds.
  do kill_and_restart("after the load");
  while (k.kills < 5);
  return k;
}

CrashTally tally_crash(CrashLoad& load, const std::filesystem::path& maildir) {
  std::lock_guard<std::mutex> lock(load.mutex);
  const std::map<std::string, int> delivered = message_ids_in(maildir);
  CrashTally t;
  t.files = count_files(maildir / "new");
  t.distinct = delivered.size();
  for (const std::string& id : load.acknowledged) {
    if (delivered.count(id)) continue;
    ++t.missing;
    if (t.missing_ids.size() < 10) t.missing_ids.push_back(id);
  }
  for (const auto& [id, copies] : delivered) {
    if (copies > 1) {
      ++t.duplicates;
      t.extra_copies += static_cast<unsigned>(copies - 1);
    }
    if (!load.acknowledged.count(id)) (load.attempted.count(id) ? t.unacknowledged_delivered : t.strangers)++;
  }
  return t;
}

std::string describe_crash(const CrashPlan& plan, const CrashKills& kills, int starts, CrashLoad& load,
                           const CrashTally& t, const std::filesystem::path& maildir) {
  std::lock_guard<std::mutex> lock(load.mutex);
  std::ostringstream report;
  report << plan.tag << ": seed " << plan.seed << ", " << kills.kills << " kills, " << starts << " starts; "
         << load.attempted.size() << " attempts for " << plan.messages << " messages: "
         << load.outcomes[SendOutcome::accepted] << " acknowledged, " << load.outcomes[SendOutcome::in_doubt]
         << " in doubt, " << load.outcomes[SendOutcome::refused] << " refused, "
         << load.outcomes[SendOutcome::no_session] << " without a session; maildir: " << t.files << " files, "
         << t.distinct << " distinct Message-IDs; acknowledged but missing: " << t.missing
         << "; delivered twice or more: " << t.duplicates << " (" << t.extra_copies
         << " extra copies); delivered without a 250: " << t.unacknowledged_delivered
         << "; unfinished files left in tmp/: " << count_files(maildir / "tmp");
  return report.str();
}

}  // namespace tether::testing::relay_e2e
