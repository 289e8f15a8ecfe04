#pragma once
// Large blocks of memory whose pages are touched on a helper thread before
// they are handed out: the first touch of fresh memory (a page fault, the
// kernel zeroing the page) ran at about 0.5 GB/s on this project's VMs and
// was a fifth of `tether-pcap timeline`'s time on a large capture, whose
// rows fill hundreds of megabytes (timeline_format.h, TimelineTable). With
// the blocks faulted in ahead, the thread that fills them does not wait
// for the kernel, and on a second core the two overlap. The helper starts
// with the first block asked for and keeps a few ready.

#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace tether::pcap {

struct FreeBlock {
  void operator()(char* p) const { std::free(p); }
};
using BlockMemory = std::unique_ptr<char[], FreeBlock>;

class PrefaultedBlocks {
 public:
  explicit PrefaultedBlocks(std::size_t block_size, std::size_t ahead = 2)
      : block_size_(block_size), ahead_(ahead) {}
  ~PrefaultedBlocks();
  PrefaultedBlocks(const PrefaultedBlocks&) = delete;
  PrefaultedBlocks& operator=(const PrefaultedBlocks&) = delete;

  std::size_t block_size() const { return block_size_; }
  // A block of block_size() bytes, its pages touched; waits for the helper
  // when it is behind.
  BlockMemory take();

 private:
  void run();

  std::size_t block_size_, ahead_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<BlockMemory> ready_;
  bool stopping_ = false;
  std::thread helper_;
};

}  // namespace tether::pcap
