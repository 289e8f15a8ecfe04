// A capture file written in time order from two threads (ordered_pcap_writer.h).
#include "lab/runner/ordered_pcap_writer.h"

#include <algorithm>

namespace tether::lab {

OrderedPcapWriter::OrderedPcapWriter(std::unique_ptr<pcap::PcapWriter> writer, Duration window)
    : writer_(std::move(writer)), window_(window) {}

void OrderedPcapWriter::write(WallTime at, ByteView frame, std::uint32_t original_length) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!writer_) return;
  const std::int64_t ns = at.unix_ns();
  held_.emplace(ns, Held{frame.to_bytes(), original_length});
  newest_ns_ = std::max(newest_ns_, ns);
  write_through(newest_ns_ - window_.ns());
}

void OrderedPcapWriter::write_through(std::int64_t horizon_ns) {
  while (!held_.empty() && held_.begin()->first <= horizon_ns) {
    auto oldest = held_.begin();
    if (oldest->first < written_ns_) ++out_of_order_;
    written_ns_ = std::max(written_ns_, oldest->first);
    writer_->write(WallTime::from_unix_ns(oldest->first), ByteView(oldest->second.frame), oldest->second.original_length);
    held_.erase(oldest);
  }
}

Result<void> OrderedPcapWriter::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!writer_) return {};
  write_through(INT64_MAX);
  auto closed = writer_->close();
  writer_.reset();
  return closed;
}

std::uint64_t OrderedPcapWriter::out_of_order() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return out_of_order_;
}

}  // namespace tether::lab
