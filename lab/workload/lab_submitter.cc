#include "lab/workload/lab_submitter.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "posix/posix_host.h"

namespace tether::lab {

Result<std::unique_ptr<LabSubmitter>> LabSubmitter::start(LabSubmitterOptions options, scenario::WorkloadPlan plan,
                                                          std::function<void(const scenario::Submission&)> on_submitted) {
  // Opened here so a missing namespace is an error of start(), not of the thread.
  int fd = -1;
  if (!options.netns.empty()) {
    const std::string path = "/run/netns/" + options.netns;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return Error(ErrorCode::io, "workload: cannot open namespace " + path + ": " + std::strerror(errno));
  }
  std::unique_ptr<LabSubmitter> s(new LabSubmitter(std::move(options), std::move(plan), std::move(on_submitted)));
  s->thread_ = std::thread([raw = s.get(), fd] { raw->run(fd); });
  return s;
}

LabSubmitter::LabSubmitter(LabSubmitterOptions options, scenario::WorkloadPlan plan,
                           std::function<void(const scenario::Submission&)> on_submitted)
    : options_(std::move(options)), plan_(std::move(plan)), on_submitted_(std::move(on_submitted)) {}

LabSubmitter::~LabSubmitter() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void LabSubmitter::stop() {
  stopping_ = true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (stop_loop_) stop_loop_();
}

// The thread: into the namespace (setns changes only this thread; it never
// goes back, it ends), a host of its own, the workload at the start instant.
void LabSubmitter::run(int netns_fd) {
  auto fail = [this](const std::string& why) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = why;
    finished_ = true;
  };
  if (netns_fd >= 0) {
    const int r = ::setns(netns_fd, CLONE_NEWNET);
    const int err = errno;
    ::close(netns_fd);
    if (r != 0) return fail("workload: setns into " + options_.netns + ": " + std::strerror(err));
  }
  boost::asio::io_context io;
  try {
    posix::PosixHostOptions host_options;
    host_options.storage_root = options_.storage;
    host_options.hostname = options_.hostname;
    host_options.log_threshold = LogLevel::warning;
    posix::PosixHost host(io, host_options);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_loop_ = [&io] { io.stop(); };  // io_context::stop is safe from any thread
    }
    if (stopping_) io.stop();
    // Wait for the start instant on the same clock the host reads.
    const Duration until = options_.start - host.now();
    if (until > Duration::zero() && !stopping_) host.run_for(until);
    if (!stopping_) {
      scenario::Workload workload(host, options_.server, plan_);
      workload.on_submitted = [this](const scenario::Submission& s) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          done_.push_back(s);
        }
        if (on_submitted_) on_submitted_(s);
      };
      // On the run's clock: the daemons' start (seconds) must not shift
      // the workload against the events, which run from the same instant.
      workload.start_at(options_.start);
      host.run_until([&] { return stopping_ || done_size() == plan_.count(); }, Duration::seconds(86400 * 365));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    stop_loop_ = nullptr;
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_loop_ = nullptr;
    failure_ = std::string("workload: ") + e.what();
  }
  finished_ = true;
}

bool LabSubmitter::wait(Duration limit) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::nanoseconds(limit.ns());
  while (!finished_ && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return finished_ && failure().empty() && submissions().size() == plan_.count();
}

std::vector<scenario::Submission> LabSubmitter::submissions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_;
}

std::size_t LabSubmitter::done_size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return done_.size();
}

std::vector<Duration> LabSubmitter::lateness() const {
  std::vector<Duration> out;
  for (const scenario::Submission& s : submissions()) out.push_back(s.submitted - (options_.start + plan_.due(s.index)));
  return out;
}

std::string LabSubmitter::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

}  // namespace tether::lab
