#pragma once
// PosixHost::run_blocking's workers: a few threads, started as work arrives,
// that run blocking jobs (file writes and fsyncs) off the event loop and post
// each job's `done` back into it. Several fsyncs in flight at once is what
// lets ext4 commit them in one journal transaction instead of one after
// another.

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tether::posix {

class BlockingPool {
 public:
  BlockingPool(boost::asio::io_context& io, std::size_t max_threads);
  // Runs every job already handed over (none is half done or forgotten), joins
  // the threads; `done`s not yet run are dropped. Call from the loop's thread.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // From the loop's thread.
  void run(std::function<void()> work, std::function<void()> done);

 private:
  struct Job;
  void worker(const std::weak_ptr<bool>& alive);

  boost::asio::io_context& io_;
  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> jobs_;  // guarded by mutex_
  std::size_t idle_ = 0;                   // guarded by mutex_
  bool stopping_ = false;                  // guarded by mutex_
  std::vector<std::thread> threads_;       // the loop's thread only
  // Posted `done`s check it on the loop, so none runs after destruction.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tether::posix
