#pragma once
// Which maildirs have had their tmp/ cleaned (smtp/maildir_tmp_cleanup.h)
// since the relay started: each is cleaned once, by the first delivery into
// it, before that delivery writes its own file. A relay cannot list every
// maildir at start (a `maildir` action's path may depend on the recipient,
// and users come from tables or the system), so the first delivery stands
// for "at start" for each; a restart after a crash cleans them all again.
// Local deliveries run on several threads at once, hence the lock.

#include <filesystem>
#include <mutex>
#include <set>

namespace tether::node {

class MaildirTmpSweeps {
 public:
  // True the first time `maildir` is claimed: the caller cleans it.
  bool claim(const std::filesystem::path& maildir) {
    std::lock_guard<std::mutex> lock(mutex_);
    return swept_.insert(maildir.lexically_normal()).second;
  }

 private:
  std::mutex mutex_;
  std::set<std::filesystem::path> swept_;
};

}  // namespace tether::node
