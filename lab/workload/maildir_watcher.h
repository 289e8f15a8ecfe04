#pragma once
// Deliveries into the home's maildirs, seen as they happen: inotify on each
// maildir's new/ and cur/ (tetherd writes into tmp/ and renames into new/,
// smtp/maildir_delivery.h; a mail reader moves files on into cur/), on a
// thread of its own. Each file that appears is read at once and reported
// with the steady-clock Time it was seen (the clock PosixHost::now() reads)
// and its Message-ID (scenario/message_headers.h, as the simulation's
// Metrics reads it), empty when it has none.
//
// A file moved from new/ to cur/ is the same delivery (the maildir unique
// name before ":2,..." is the same) and is not reported twice; another file
// with the same Message-ID is a second copy and is.

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/time.h"

namespace tether::lab {

struct MaildirDelivery {
  Time seen;                    // steady clock
  std::filesystem::path path;   // where it appeared
  std::string text;             // the file as read then
  std::string message_id;       // empty: none (or unreadable: see `problem`)
  std::string problem;          // why it could not be matched, if it cannot
};

class MaildirWatcher {
 public:
  // Watches each maildir (new/, cur/ and tmp/ are created if missing, as
  // delivery would create them). Fails, naming the directory, if inotify
  // cannot watch one. Files already there are not reported.
  static Result<std::unique_ptr<MaildirWatcher>> start(const std::vector<std::filesystem::path>& maildirs,
                                                       std::function<void(const MaildirDelivery&)> on_delivery);
  ~MaildirWatcher();  // stops the thread
  MaildirWatcher(const MaildirWatcher&) = delete;
  MaildirWatcher& operator=(const MaildirWatcher&) = delete;

  void stop();
  std::size_t seen() const { return seen_; }
  // Things the watcher could not do (an inotify queue overflow), in order.
  std::vector<std::string> problems() const;

 private:
  MaildirWatcher() = default;
  void run();
  void report(const std::filesystem::path& dir, const std::string& name);

  int inotify_fd_ = -1;
  int stop_fd_ = -1;  // eventfd: wakes the thread's poll to end it
  std::vector<std::pair<int, std::filesystem::path>> watches_;  // wd -> directory
  std::set<std::string> known_;  // maildir + unique name of each file reported
  std::function<void(const MaildirDelivery&)> on_delivery_;
  std::atomic<std::size_t> seen_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
  std::thread thread_;
};

}  // namespace tether::lab
