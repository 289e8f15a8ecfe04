#pragma once
// The userspace delay line for a kernel without netem: packets an iptables
// NFQUEUE rule (lab/shaping/shaped_link.h says which hook and why) hands
// to queue N wait in the kernel while this thread holds
// their verdicts, each until its due time (lab/shaping/delay_schedule.h
// decides it, and which packets are lost), then releases them with
// NF_ACCEPT (or NF_DROP for a lost one). Only metadata is copied to
// userspace (the packet id), so the cost per packet does not grow with its
// size. The thread runs inside the link's namespace (setns on itself,
// queue numbers and iptables rules are per namespace) and binds the first
// free queue number from `first_queue` up.
//
// With `copy_packets` the packets' bytes come up as well, and each packet
// is handed to the release tap (set_release_tap) at the instant of its
// NF_ACCEPT: when the host behind the queue really gets it. A lab capture
// uses this to stamp incoming packets after their delay (lab/runner's
// link_captures.h); lost packets are never handed over.
//
// Nothing vanishes uncounted: the kernel holds at most `queue_length`
// packets for the queue and drops beyond that (its queue_dropped counter,
// read back from /proc/net/netfilter/nfnetlink_queue of the namespace, and
// the sender sees EPERM); a message the socket could not take is counted by
// the kernel too (queue_user_dropped). No fail-open: a full queue must not
// let packets through undelayed.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/bytes.h"
#include "core/error.h"
#include "core/time.h"
#include "lab/shaping/link_shape.h"

namespace tether::lab {

struct DelayerStats {
  std::uint64_t packets = 0;           // handed to the delayer
  std::uint64_t lost = 0;              // dropped by the loss draw
  std::uint64_t released = 0;          // accepted at or after their due time
  std::uint64_t released_at_stop = 0;  // accepted early because the link was torn down
  std::uint64_t kernel_dropped = 0;       // queue full (nfnetlink_queue's queue_dropped)
  std::uint64_t kernel_user_dropped = 0;  // not delivered to the socket (queue_user_dropped)
  std::uint64_t socket_overruns = 0;      // ENOBUFS seen by the delayer
  std::uint64_t verdict_failures = 0;     // a verdict the kernel refused (the packet stays queued)
  std::size_t max_held = 0;               // most packets held at once
  Duration total_late = Duration::zero();  // sum of (verdict - due) over released packets
  Duration max_late = Duration::zero();
  Duration thread_cpu = Duration::zero();  // the delayer thread's CPU time
};

struct DelayerOptions {
  std::string netns;  // empty: the caller's namespace
  LinkShape shape;
  std::uint64_t seed = 1;
  std::uint32_t queue_length = 10240;  // packets the kernel holds for the queue
  std::uint16_t first_queue = 1000;
  // Copy each packet (up to 64 KiB) to userspace for the release tap. Off,
  // only metadata is copied (the measured figures in README.md are so).
  bool copy_packets = false;
};

// A packet as the delayer lets it into the host (copy_packets only).
struct ReleasedPacket {
  std::int64_t unix_ns = 0;  // CLOCK_REALTIME just before its NF_ACCEPT, the packet socket's clock
  ByteView packet;           // from its network header (IPv4 or IPv6), checksums filled in
  ByteView source_hw;        // the link-layer source it arrived from (NFQA_HWADDR); may be empty
};
using ReleaseTap = std::function<void(const ReleasedPacket&)>;

class NfqueueDelayer {
 public:
  // Returns once the queue is bound (or why it could not be).
  static Result<std::unique_ptr<NfqueueDelayer>> start(const DelayerOptions& options);
  // Accepts every packet still held, unbinds the queue and joins the thread.
  ~NfqueueDelayer();
  NfqueueDelayer(const NfqueueDelayer&) = delete;
  NfqueueDelayer& operator=(const NfqueueDelayer&) = delete;

  std::uint16_t queue_number() const { return queue_number_; }
  DelayerStats stats() const;
  // Called on the delayer's thread for every packet it accepts from now on
  // (copy_packets only; a packet admitted before is handed over too). An
  // empty tap stops it; once this returns, the previous tap is not called
  // again, and has had every packet accepted before (the verdict and the
  // call are under one lock). The tap must be quick: the next verdicts
  // wait for it. False
  // (and nothing set) without copy_packets: there are no bytes to hand over.
  bool set_release_tap(ReleaseTap tap);

 private:
  struct Loop;
  explicit NfqueueDelayer(const DelayerOptions& options);

  DelayerOptions options_;
  std::uint16_t queue_number_ = 0;
  int wake_fd_ = -1;
  int proc_fd_ = -1;  // the namespace's nfnetlink_queue table, opened in the thread
  mutable std::mutex mutex_;
  DelayerStats stats_;
  std::mutex tap_mutex_;  // held over each verdict and the tap call after it
  ReleaseTap tap_;
  std::thread thread_;
};

}  // namespace tether::lab
