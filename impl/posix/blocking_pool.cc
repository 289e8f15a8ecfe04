#include "posix/blocking_pool.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace tether::posix {

struct BlockingPool::Job {
  std::function<void()> work;
  std::function<void()> done;
  // Keeps io_context::run() from returning for lack of work while the job
  // is on a worker and its `done` not yet posted.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
};

BlockingPool::BlockingPool(boost::asio::io_context& io, std::size_t max_threads)
    : io_(io), max_threads_(max_threads == 0 ? 1 : max_threads) {}

BlockingPool::~BlockingPool() {
  alive_.reset();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void BlockingPool::run(std::function<void()> work, std::function<void()> done) {
  auto job = std::make_unique<Job>(Job{std::move(work), std::move(done), boost::asio::make_work_guard(io_)});
  bool start_thread = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
    start_thread = idle_ < jobs_.size() && threads_.size() < max_threads_;
  }
  if (start_thread) threads_.emplace_back([this, alive = std::weak_ptr<bool>(alive_)] { worker(alive); });
  wake_.notify_one();
}

void BlockingPool::worker(const std::weak_ptr<bool>& alive) {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ++idle_;
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty()) return;  // stopping, and nothing left to run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job->work();
    boost::asio::post(io_, [alive, done = std::move(job->done)] {
      if (!alive.expired()) done();
    });
    job->guard.reset();
  }
}

}  // namespace tether::posix
