#pragma once
// What a run of the lab has made, written down before each thing is made,
// so that whatever way the run ends (its destructor, a SIGINT/SIGTERM
// through signal_cleanup.h, or a crash followed by remove_leftovers) every
// namespace, nftables table, process and file of that run is removed, and
// nothing else: things are found by the run's own names and PIDs, never by
// a pattern another run could match.
//
// The record is a text file, /run/tether-lab/PREFIX/record (tmpfs: a reboot
// that clears namespaces clears it too), one line per thing, appended and
// flushed before the thing is made:
//   netns NAME            a network namespace (its veths go with it)
//   nft NAMESPACE TABLE   an nftables table (family ip) in a namespace
//   pidfile PATH          a daemon's pid file; the daemon is ended only if
//                         /proc/PID/cmdline still names PATH's directory
//   path PATH             a file or directory, removed with what is in it
// A run's PREFIX is "tl<pid>x<random>-": the pid of the process that made it,
// so leftovers of a dead run can be told from a live run's.

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"

namespace tether::lab {

// /run/tether-lab
std::filesystem::path lab_run_root();
// A prefix no other run (of this or another process) has.
std::string new_run_prefix();
// Whether `prefix` has new_run_prefix's form: only such prefixes are used
// to find namespaces by name, which no other program's names can match.
bool is_run_prefix(const std::string& prefix);

class WorldRecord {
 public:
  // A record of nothing yet: register it with SignalCleanup::watch, then
  // open() it, so that no signal can come between the run's first file and
  // its registration.
  explicit WorldRecord(std::string prefix);
  // Creates the run's directory and its record file (fails once closed).
  Result<void> open();
  // Removes everything recorded that is still there (see remove_recorded).
  ~WorldRecord();
  WorldRecord(const WorldRecord&) = delete;
  WorldRecord& operator=(const WorldRecord&) = delete;

  const std::string& prefix() const { return prefix_; }
  const std::filesystem::path& directory() const { return directory_; }

  // Records a thing, then makes it with `action`, holding the record so
  // that remove_all (from the signal thread) runs before or after, never
  // between: nothing is made that it would miss. Fails without running
  // `action` once the record is closed (a signal arrived mid-build).
  Result<void> make(const std::string& kind, const std::string& what, const std::function<Result<void>()>& action);
  // Ends, deletes and removes everything recorded, newest kind first
  // (processes, tables, namespaces, files), then the run's directory;
  // closes the record. Safe to call again and from another thread.
  // Returns what could not be removed, one line each.
  std::vector<std::string> remove_all();

 private:
  std::mutex mutex_;
  std::string prefix_;
  std::filesystem::path directory_;
  bool closed_ = false;
};

// Ends the daemon whose recorded pid file this is (SIGTERM, then SIGKILL),
// if its PID's command line still names the pid file's directory, and
// waits until it is gone: how a daemon of the world is restarted
// (lab/events restarts dnsmasq). Returns what would not end.
std::vector<std::string> end_recorded_daemon(const std::filesystem::path& pidfile);

// Removes what the run with `prefix` recorded (after a crash), and any
// namespace or /etc/netns directory named with the prefix that the record
// misses. Returns what could not be removed.
std::vector<std::string> remove_leftovers(const std::string& prefix);
// remove_leftovers for every run under /run/tether-lab whose process is
// gone: what a new run does first.
std::vector<std::string> remove_dead_runs();

}  // namespace tether::lab
