#pragma once
// One direction of a TCP connection put back in order: segments in, the
// byte stream out, as the receiving application read it. Sequence numbers
// are compared modulo 2^32 (RFC 793 3.3), relative to the next byte
// expected.
//
//  - in order: delivered at once, then whatever was held and now fits;
//  - already delivered (every byte before the next expected one): a
//    retransmission, dropped; a segment that overlaps the delivered bytes
//    and brings new ones is trimmed to the new ones. That is what the
//    receiver did: Linux's tcp_data_queue (net/ipv4/tcp_input.c) drops a
//    segment ending at or before rcv_nxt as a retransmit and queues a
//    "partial packet" from rcv_nxt on;
//  - ahead of a hole: held, up to kMaxHeldBytes / kMaxHeldSegments; past the
//    bound the hole is given up (a gap, reported to the stream's reader) and
//    delivery resumes at the earliest held byte;
//  - further ahead than kMaxJump: an absurd jump (a corrupt or unrelated
//    segment), dropped and reported rather than held.
// A hole is also given up once the peer acknowledges bytes beyond it, and
// finish() gives up every hole still open at the end of the capture.

#include <cstdint>
#include <functional>
#include <map>

#include "core/bytes.h"
#include "pcap/packet.h"

namespace tether::pcap {

class TcpReassembly {
 public:
  struct Sink {
    std::function<void(ByteView bytes, const Origin& origin)> data;
    // `missing` bytes were never seen; the stream resumes after them.
    std::function<void(std::uint64_t missing, const Origin& origin)> gap;
  };

  enum class Verdict {
    delivered,       // new bytes in order (and maybe held ones after them)
    held,            // ahead of a hole
    retransmission,  // nothing new: every byte already delivered or held
    absurd,          // beyond kMaxJump: dropped
  };

  static constexpr std::size_t kMaxHeldBytes = 1 << 20;
  static constexpr std::size_t kMaxHeldSegments = 1024;
  static constexpr std::uint32_t kMaxJump = 1u << 24;  // far beyond any window a capture holds in flight

  // The first sequence number of data (the SYN's plus one). Without it the
  // first data segment seen starts the stream (a capture begun mid-way).
  void start(std::uint32_t first_data_seq);
  bool started() const { return started_; }

  Verdict add(std::uint32_t seq, ByteView payload, const Origin& origin, const Sink& sink);
  // `count` bytes at `seq` were on the wire but not in the capture (cut by
  // its snaplen): when they are the next expected ones they are a gap at
  // once; otherwise they stay a hole like any other.
  void cut(std::uint32_t seq, std::uint32_t count, const Origin& origin, const Sink& sink);

  // The peer acknowledged up to `ack`: holes before it were received, only
  // not captured (Wireshark's "ACKed unseen segment"), so they are given up
  // now rather than at the end, and the held bytes after them go on.
  void acknowledged(std::uint32_t ack, const Sink& sink);
  void finish(const Sink& sink);

  std::uint32_t next_seq() const { return next_; }
  std::uint64_t delivered() const { return delivered_; }
  std::size_t held_bytes() const { return held_bytes_; }

 private:
  struct Held {
    Bytes bytes;
    Origin origin;
  };
  void drain(const Sink& sink);
  void release_acked(const Sink& sink);
  void give_up_hole(const Sink& sink);

  bool started_ = false;
  std::uint32_t next_ = 0;
  std::uint64_t delivered_ = 0;
  // Keyed by 64-bit offset in the stream (delivered_ counts the same way),
  // which unlike a 32-bit sequence number never wraps.
  std::map<std::uint64_t, Held> held_;
  std::size_t held_bytes_ = 0;
  std::uint64_t acked_ = 0;  // stream offset the peer has acknowledged up to
};

}  // namespace tether::pcap
