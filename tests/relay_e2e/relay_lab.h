#pragma once
// The end-to-end lab: the real tetherd binary running `--relay` in a
// network namespace the test created and entered (NetworkNamespace), its
// clients on that namespace's loopback, mail delivered to a maildir in a
// test directory. tetherd's log goes to a file (a pipe nobody drains would
// stall a daemon that logs every message); it is killed with SIGKILL by its
// PID and restarted on the same --state, and the ChildProcess kills and
// reaps it on every way out of a test.

#include <sys/types.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/time.h"
#include "support/run_process.h"
#include "support/child_process.h"

namespace tether::testing::relay_e2e {

// Root (for the namespace) and the built tetherd/tetherctl; the skip message
// says which is missing.
boost::test_tools::assertion_result needs_root_and_tetherd(boost::unit_test::test_unit_id);

class RelayDaemon {
 public:
  // Writes `config` as dir/smtpd.conf; the queue goes in dir/state, the
  // log in dir/tetherd.log, the control socket in dir/tetherd.sock.
  RelayDaemon(const TestDirectory& dir, const std::string& config);
  ~RelayDaemon();
  RelayDaemon(const RelayDaemon&) = delete;
  RelayDaemon& operator=(const RelayDaemon&) = delete;

  // Starts tetherd and waits for its "ready: " line; false (with the log
  // in `why`) if it does not come within `limit`.
  bool start(std::string* why = nullptr, Duration limit = Duration::seconds(20));
  // SIGKILL, by PID, and reaped. No-op when not running.
  void kill_hard();
  bool running();
  pid_t pid() const;
  int starts() const { return starts_; }

  std::string log() const;
  // tetherctl --control ... WORDS
  ProcessResult ctl(const std::vector<std::string>& words, Duration limit = Duration::seconds(20));
  // Polls `show queue` until it lists nothing; false after `limit`.
  bool wait_queue_empty(Duration limit);

 private:
  std::filesystem::path config_, state_, log_, control_;
  std::unique_ptr<ChildProcess> process_;
  int starts_ = 0;
};

// Message-ID header value -> how many files in `maildir`/new carry it.
std::map<std::string, int> message_ids_in(const std::filesystem::path& maildir);
// Regular files in `dir` (0 if it does not exist).
std::size_t count_files(const std::filesystem::path& dir);
std::string read_text(const std::filesystem::path& path);

// Sleeps the calling thread.
void pause_for(Duration span);

}  // namespace tether::testing::relay_e2e
