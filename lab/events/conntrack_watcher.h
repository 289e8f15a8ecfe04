#pragma once
// The gateway's NAT events, live: `conntrack -E` in the gateway's namespace,
// each line read on a thread of its own into the simulation's
// nat-mapping-created / nat-mapping-expired events (conntrack_event.h),
// stamped with the time since the run's start. A line that does not parse
// is kept in problems() (with its number and text) and the stream goes on.
//
// The process is the world's: its pid file is recorded (world_record.h)
// before it starts, and its command line names the run's directory (its
// argv[0] is RUN_DIR/conntrack-events), so the world's clean-up ends it
// on every way out; stop() and the destructor end it first by its PID.
// Expiries: the kernel reports a flow's DESTROY when its garbage collector
// reaps it, up to a minute after the timeout (the collector's interval
// follows the average timeout of every flow on the machine). A listing of
// the table evicts expired flows (ctnetlink_dump_table), so a second thread
// lists the gateway's table every `kReapInterval`: expiries are reported
// within that of their timeout, as kernel DESTROYs (lab/events/README.md).

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "lab/events/event_sink.h"
#include "lab/world/lab_world.h"

namespace tether::lab {

class ConntrackWatcher {
 public:
  // Starts `conntrack -E` in the gateway's namespace; returns once it
  // listens (conntrack subscribes before its first read). `start` is the
  // run's time zero.
  static constexpr std::chrono::milliseconds kReapInterval{500};

  static Result<std::unique_ptr<ConntrackWatcher>> start(LabWorld& world, EventSink& sink,
                                                         std::chrono::steady_clock::time_point start);
  ~ConntrackWatcher();
  ConntrackWatcher(const ConntrackWatcher&) = delete;
  ConntrackWatcher& operator=(const ConntrackWatcher&) = delete;

  // Ends the process (SIGTERM, by its PID) and the reader; idempotent.
  void stop();
  pid_t pid() const { return pid_; }
  std::uint64_t lines() const { return lines_; }
  // Lines that did not parse: "conntrack -E line N: why: TEXT".
  std::vector<std::string> problems() const;

 private:
  ConntrackWatcher(EventSink& sink, std::chrono::steady_clock::time_point start) : sink_(sink), start_(start) {}
  void read_lines(int fd);
  void take_line(const std::string& line);
  void reap_expired(const std::string& ns);

  EventSink& sink_;
  std::chrono::steady_clock::time_point start_;
  pid_t pid_ = -1;
  std::thread reader_;
  std::thread reaper_;
  std::condition_variable stopping_;
  std::atomic<std::uint64_t> lines_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
  bool stopped_ = false;
};

}  // namespace tether::lab
