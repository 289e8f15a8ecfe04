#include "lab/world/signal_cleanup.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "lab/world/world_record.h"

namespace tether::lab {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<WorldRecord*> records;
  bool installed = false;
  std::atomic<bool> ending{false};
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: the thread outlives main's statics
  return *r;
}

sigset_t exit_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

[[noreturn]] void wait_and_clean_up() {
  const sigset_t set = exit_signals();
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  registry().ending = true;
  {
    std::lock_guard<std::mutex> lock(registry().mutex);
    for (WorldRecord* record : registry().records) record->remove_all();
  }
  // The default action, now that nothing is left: the process ends as
  // killed by the signal.
  signal(signal_number, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signal_number);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  pthread_kill(pthread_self(), signal_number);
  for (;;) pause();
}

}  // namespace

void SignalCleanup::install() {
  std::lock_guard<std::mutex> lock(registry().mutex);
  if (registry().installed) return;
  const sigset_t set = exit_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(wait_and_clean_up).detach();
  registry().installed = true;
}

bool SignalCleanup::installed() {
  std::lock_guard<std::mutex> lock(registry().mutex);
  return registry().installed;
}

void SignalCleanup::watch(WorldRecord* record) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  registry().records.push_back(record);
}

void SignalCleanup::finish_if_ending() {
  if (!registry().ending) return;
  for (;;) pause();
}

void SignalCleanup::forget(WorldRecord* record) {
  std::lock_guard<std::mutex> lock(registry().mutex);
  auto& r = registry().records;
  r.erase(std::remove(r.begin(), r.end(), record), r.end());
}

}  // namespace tether::lab
