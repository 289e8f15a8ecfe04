#include "pcap/prefaulted_blocks.h"

#include <new>

namespace tether::pcap {

PrefaultedBlocks::~PrefaultedBlocks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (helper_.joinable()) helper_.join();
}

BlockMemory PrefaultedBlocks::take() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!helper_.joinable()) helper_ = std::thread([this] { run(); });
  changed_.wait(lock, [this] { return !ready_.empty(); });
  BlockMemory block = std::move(ready_.front());
  ready_.pop_front();
  changed_.notify_all();
  if (!block) throw std::bad_alloc();  // the helper could not allocate it
  return block;
}

void PrefaultedBlocks::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [this] { return stopping_ || ready_.size() < ahead_; });
      if (stopping_) return;
    }
    BlockMemory block(static_cast<char*>(std::malloc(block_size_)));
    if (block) {
      // One write per page is what faults it in; the block's contents are
      // written over by its user anyway.
      volatile char* bytes = block.get();
      for (std::size_t at = 0; at < block_size_; at += 4096) bytes[at] = 0;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.push_back(std::move(block));
    changed_.notify_all();
  }
}

}  // namespace tether::pcap
