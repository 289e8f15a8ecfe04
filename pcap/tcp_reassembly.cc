#include "pcap/tcp_reassembly.h"

#include <algorithm>
#include <utility>

namespace tether::pcap {

void TcpReassembly::start(std::uint32_t first_data_seq) {
  started_ = true;
  next_ = first_data_seq;
}

TcpReassembly::Verdict TcpReassembly::add(std::uint32_t seq, ByteView payload, const Origin& origin,
                                          const Sink& sink) {
  if (payload.empty()) return Verdict::retransmission;
  if (!started_) start(seq);
  // Distance from the next expected byte, signed modulo 2^32.
  auto distance = static_cast<std::int32_t>(seq - next_);
  std::int64_t end = std::int64_t(distance) + std::int64_t(payload.size());
  if (end <= 0) return Verdict::retransmission;
  if (distance > 0 && static_cast<std::uint32_t>(distance) > kMaxJump) return Verdict::absurd;
  if (distance < 0 && static_cast<std::uint32_t>(-std::int64_t(distance)) > kMaxJump) return Verdict::absurd;

  if (distance <= 0) {
    ByteView fresh = payload.subview(static_cast<std::size_t>(-std::int64_t(distance)));
    next_ += static_cast<std::uint32_t>(fresh.size());
    delivered_ += fresh.size();
    if (sink.data) sink.data(fresh, origin);
    drain(sink);
    return Verdict::delivered;
  }

  std::uint64_t offset = delivered_ + static_cast<std::uint64_t>(distance);
  // Already held from this offset with at least as many bytes: a retransmission
  // of an out-of-order segment.
  auto same = held_.find(offset);
  if (same != held_.end() && same->second.bytes.size() >= payload.size()) return Verdict::retransmission;
  if (same != held_.end()) held_bytes_ -= same->second.bytes.size();
  held_[offset] = Held{Bytes(payload.begin(), payload.end()), origin};
  held_bytes_ += payload.size();
  while (held_bytes_ > kMaxHeldBytes || held_.size() > kMaxHeldSegments) give_up_hole(sink);
  release_acked(sink);
  return held_.empty() ? Verdict::delivered : Verdict::held;
}

// Delivers held segments that now start at or before the next expected byte.
void TcpReassembly::drain(const Sink& sink) {
  while (!held_.empty()) {
    auto first = held_.begin();
    if (first->first > delivered_) return;
    Held held = std::move(first->second);
    std::uint64_t offset = first->first;
    held_bytes_ -= held.bytes.size();
    held_.erase(first);
    std::uint64_t skip = delivered_ - offset;
    if (skip >= held.bytes.size()) continue;  // wholly overlapped by what came since
    ByteView fresh = ByteView(held.bytes).subview(static_cast<std::size_t>(skip));
    next_ += static_cast<std::uint32_t>(fresh.size());
    delivered_ += fresh.size();
    if (sink.data) sink.data(fresh, held.origin);
  }
}

void TcpReassembly::give_up_hole(const Sink& sink) {
  if (held_.empty()) return;
  auto first = held_.begin();
  std::uint64_t missing = first->first - delivered_;
  if (missing > 0) {
    if (sink.gap) sink.gap(missing, first->second.origin);
    next_ += static_cast<std::uint32_t>(missing);
    delivered_ += missing;
  }
  drain(sink);
}

void TcpReassembly::cut(std::uint32_t seq, std::uint32_t count, const Origin& origin, const Sink& sink) {
  if (!started_ || count == 0 || seq != next_ || count > kMaxJump) return;
  if (sink.gap) sink.gap(count, origin);
  next_ += count;
  delivered_ += count;
  drain(sink);
}

void TcpReassembly::acknowledged(std::uint32_t ack, const Sink& sink) {
  auto beyond = static_cast<std::int32_t>(ack - next_);
  if (beyond <= 0 || static_cast<std::uint32_t>(beyond) > kMaxJump) return;
  acked_ = std::max(acked_, delivered_ + static_cast<std::uint64_t>(beyond));
  release_acked(sink);
}

// Holes the peer acknowledged are given up at once: nothing will fill them.
void TcpReassembly::release_acked(const Sink& sink) {
  while (!held_.empty() && held_.begin()->first <= acked_ && held_.begin()->first > delivered_) give_up_hole(sink);
}

void TcpReassembly::finish(const Sink& sink) {
  while (!held_.empty()) give_up_hole(sink);
}

}  // namespace tether::pcap
