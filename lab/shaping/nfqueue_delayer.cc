// NfqueueDelayer: a thread in the link's namespace with a libnetfilter_queue
// handle, a heap of held packet ids by due time, and ppoll until the next
// is due. The shape of FACTS.md's checked ~50-line delayer
// (nfq_create_queue, NFQNL_COPY_META, poll until due, nfq_set_verdict).
#include "lab/shaping/nfqueue_delayer.h"

// <arpa/inet.h> before <linux/netfilter.h>, or the two clash (FACTS.md).
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libnetfilter_queue/libnetfilter_queue.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <queue>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "lab/shaping/delay_schedule.h"

namespace tether::lab {

namespace {

Time monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return Time::from_ns(std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Duration thread_cpu_time() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return Duration::nanoseconds(std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}

struct HeldPacket {
  Time due;
  std::uint64_t sequence;  // admission order: ties leave in it
  std::uint32_t id;
  bool operator>(const HeldPacket& o) const { return due != o.due ? o.due < due : sequence > o.sequence; }
};

// A held packet's bytes, for the release tap (copy_packets).
struct HeldBytes {
  Bytes packet;
  Bytes source_hw;
};

Result<void> enter_namespace(const std::string& netns) {
  if (netns.empty()) return {};
  const std::string path = "/var/run/netns/" + netns;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::not_found, "cannot open " + path + ": " + std::strerror(errno));
  const int rc = ::setns(fd, CLONE_NEWNET);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error(ErrorCode::permission_denied, "cannot enter network namespace " + netns + ": " + std::strerror(err));
  return {};
}

}  // namespace

// What the thread owns: the netlink handle, the bound queue, the schedule
// and the held packets.
struct NfqueueDelayer::Loop {
  NfqueueDelayer& self;
  DelaySchedule schedule;
  nfq_handle* handle = nullptr;
  nfq_q_handle* queue = nullptr;
  std::priority_queue<HeldPacket, std::vector<HeldPacket>, std::greater<>> held;
  std::unordered_map<std::uint32_t, HeldBytes> bytes;  // by packet id, copy_packets only
  std::vector<char> buffer = std::vector<char>(std::size_t(1) << 17);  // a 64 KiB packet and its attributes
  std::uint64_t sequence = 0;
  DelayerStats local;  // published to self.stats_ under its mutex

  Loop(NfqueueDelayer& s) : self(s), schedule(s.options_.shape, s.options_.seed) {}
  ~Loop() {
    if (queue) nfq_destroy_queue(queue);
    if (handle) nfq_close(handle);
  }

  static int on_packet(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* context) {
    auto& loop = *static_cast<Loop*>(context);
    const nfqnl_msg_packet_hdr* header = nfq_get_msg_packet_hdr(data);
    if (!header) return 0;
    const std::uint32_t id = ntohl(header->packet_id);
    ++loop.local.packets;
    const PacketDecision d = loop.schedule.admit(monotonic_now());
    if (d.drop) {
      ++loop.local.lost;
      loop.verdict(id, NF_DROP);
      return 0;
    }
    if (loop.self.options_.copy_packets) loop.keep_bytes(id, data);
    loop.held.push(HeldPacket{d.due, loop.sequence++, id});
    if (loop.held.size() > loop.local.max_held) loop.local.max_held = loop.held.size();
    return 0;
  }

  void keep_bytes(std::uint32_t id, nfq_data* data) {
    HeldBytes& kept = bytes[id];
    unsigned char* payload = nullptr;
    const int length = nfq_get_payload(data, &payload);
    if (length > 0) kept.packet.assign(payload, payload + length);
    if (const nfqnl_msg_packet_hw* hw = nfq_get_packet_hw(data)) {
      const std::size_t n = std::min<std::size_t>(ntohs(hw->hw_addrlen), sizeof hw->hw_addr);
      kept.source_hw.assign(hw->hw_addr, hw->hw_addr + n);
    }
  }

  Result<std::uint16_t> bind() {
    handle = nfq_open();
    if (!handle) return Error(ErrorCode::io, std::string("nfq_open: ") + std::strerror(errno));
    const DelayerOptions& o = self.options_;
    for (unsigned n = o.first_queue; n < o.first_queue + 1000u && n <= 65535; ++n) {
      queue = nfq_create_queue(handle, std::uint16_t(n), &Loop::on_packet, this);
      if (!queue) continue;  // taken by another link in this namespace
      const int mode = o.copy_packets ? NFQNL_COPY_PACKET : NFQNL_COPY_META;
      if (nfq_set_mode(queue, std::uint8_t(mode), o.copy_packets ? 0xffff : 0) < 0 ||
          nfq_set_queue_maxlen(queue, o.queue_length) < 0)
        return Error(ErrorCode::io, "cannot configure NFQUEUE " + std::to_string(n) + ": " + std::strerror(errno));
      // Room for a full queue's messages (metadata only, ~100 bytes each;
      // with the packets, a full frame each).
      nfnl_rcvbufsiz(nfq_nfnlh(handle), std::max(1u << 20, o.queue_length * (o.copy_packets ? 2048u : 512u)));
      const int fd = nfq_fd(handle);
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      return std::uint16_t(n);
    }
    return Error(ErrorCode::address_in_use, "no free NFQUEUE number from " + std::to_string(o.first_queue) + " in namespace '" + o.netns + "'");
  }

  // False if the kernel refused it (the packet stays queued).
  bool verdict(std::uint32_t id, std::uint32_t what) {
    const bool given = nfq_set_verdict(queue, id, what, 0, nullptr) >= 0;
    if (!given) ++local.verdict_failures;
    if (what != NF_ACCEPT) bytes.erase(id);
    return given;
  }

  // The kernel takes the packet on into the host within the verdict's
  // sendmsg (nfqnl_recv_verdict -> nfqnl_reinject -> nf_reinject), so the
  // moment before it is when the host gets it. The tap sees it after the
  // verdict, so that the tap's own time does not delay it, but under the
  // same lock: a packet the host has got before set_release_tap({})
  // returns has been handed over (a capture stopped just after the last
  // packet arrived still holds it).
  void accept(std::uint32_t id) {
    if (!self.options_.copy_packets) {
      verdict(id, NF_ACCEPT);
      return;
    }
    auto kept = bytes.find(id);
    std::lock_guard<std::mutex> lock(self.tap_mutex_);
    const std::int64_t at = realtime_ns();
    const bool given = verdict(id, NF_ACCEPT);
    if (kept == bytes.end()) return;
    if (given && self.tap_ && !kept->second.packet.empty())
      self.tap_(ReleasedPacket{at, ByteView(kept->second.packet), ByteView(kept->second.source_hw)});
    bytes.erase(kept);
  }

  void release(std::uint32_t id, Time due, Time now) {
    accept(id);
    ++local.released;
    const Duration late = now - due;
    local.total_late += late;
    if (local.max_late < late) local.max_late = late;
  }

  void read_messages() {
    for (;;) {
      const ssize_t n = ::recv(nfq_fd(handle), buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n > 0) {
        nfq_handle_packet(handle, buffer.data(), int(n));
        continue;
      }
      if (n < 0 && errno == ENOBUFS) {  // the kernel counts what it could not deliver
        ++local.socket_overruns;
        continue;
      }
      return;  // EAGAIN: read all there was
    }
  }

  void publish() {
    local.thread_cpu = thread_cpu_time();
    std::lock_guard<std::mutex> lock(self.mutex_);
    const auto kernel_dropped = self.stats_.kernel_dropped, user_dropped = self.stats_.kernel_user_dropped;
    self.stats_ = local;
    self.stats_.kernel_dropped = kernel_dropped, self.stats_.kernel_user_dropped = user_dropped;
  }

  // Until the wake fd says stop: wait for a message or the next due time,
  // read, release what is due. Then accept what is left.
  void run() {
    pollfd fds[2] = {{nfq_fd(handle), POLLIN, 0}, {self.wake_fd_, POLLIN, 0}};
    Time last_publish = monotonic_now();
    for (;;) {
      Time now = monotonic_now();
      timespec timeout{0, 100'000'000};  // wake now and then to publish the stats
      if (!held.empty()) {
        const std::int64_t wait = std::max<std::int64_t>(0, (held.top().due - now).ns());
        if (wait < 100'000'000) timeout = timespec{0, long(wait)};
      }
      const int ready = ::ppoll(fds, 2, &timeout, nullptr);
      if (ready > 0 && (fds[1].revents & POLLIN)) break;
      if (ready > 0 && (fds[0].revents & POLLIN)) read_messages();
      now = monotonic_now();
      while (!held.empty() && held.top().due <= now) {
        release(held.top().id, held.top().due, now);
        held.pop();
      }
      // Whenever the line is empty (a reader then sees every packet so far),
      // and now and then under load.
      if (held.empty() || now - last_publish >= Duration::milliseconds(50)) publish(), last_publish = now;
    }
    for (; !held.empty(); held.pop()) {
      accept(held.top().id);
      ++local.released_at_stop;
    }
    publish();
  }
};

NfqueueDelayer::NfqueueDelayer(const DelayerOptions& options) : options_(options) {}

Result<std::unique_ptr<NfqueueDelayer>> NfqueueDelayer::start(const DelayerOptions& options) {
  std::unique_ptr<NfqueueDelayer> d(new NfqueueDelayer(options));
  d->wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (d->wake_fd_ < 0) return Error(ErrorCode::io, std::string("eventfd: ") + std::strerror(errno));
  std::promise<Result<std::uint16_t>> bound;
  auto bound_future = bound.get_future();
  NfqueueDelayer* self = d.get();
  d->thread_ = std::thread([self, &bound] {
    // Timer slack of 1 ns: ppoll wakes at the due time, not up to 50 us later.
    ::prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    if (auto entered = enter_namespace(self->options_.netns); !entered) {
      bound.set_value(entered.error());
      return;
    }
    self->proc_fd_ = ::open("/proc/thread-self/net/netfilter/nfnetlink_queue", O_RDONLY | O_CLOEXEC);
    Loop loop(*self);
    auto number = loop.bind();
    const bool ok = number.ok();
    bound.set_value(std::move(number));
    if (ok) loop.run();
  });
  auto number = bound_future.get();
  if (!number) return number.error();  // the destructor joins the thread, which has returned
  d->queue_number_ = *number;
  return d;
}

NfqueueDelayer::~NfqueueDelayer() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof one) < 0) {
    }
    thread_.join();
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (proc_fd_ >= 0) ::close(proc_fd_);
}

bool NfqueueDelayer::set_release_tap(ReleaseTap tap) {
  if (!options_.copy_packets) return false;
  std::lock_guard<std::mutex> lock(tap_mutex_);
  tap_ = std::move(tap);
  return true;
}

DelayerStats NfqueueDelayer::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  DelayerStats s = stats_;
  // /proc/net/netfilter/nfnetlink_queue, one line per queue: number, portid,
  // waiting, copy mode, copy range, queue_dropped, queue_user_dropped,
  // id sequence, 1 (nfqnl_queue_show in net/netfilter/nfnetlink_queue.c).
  if (proc_fd_ >= 0 && ::lseek(proc_fd_, 0, SEEK_SET) == 0) {
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(proc_fd_, buffer, sizeof buffer)) > 0;) text.append(buffer, std::size_t(n));
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      unsigned number = 0, portid = 0, waiting = 0, mode = 0, range = 0;
      std::uint64_t dropped = 0, user_dropped = 0;
      if (fields >> number >> portid >> waiting >> mode >> range >> dropped >> user_dropped && number == queue_number_) {
        s.kernel_dropped = dropped;
        s.kernel_user_dropped = user_dropped;
      }
    }
  }
  return s;
}

}  // namespace tether::lab
