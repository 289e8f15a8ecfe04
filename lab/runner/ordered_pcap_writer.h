#pragma once
// A capture file fed from two threads, written in time order. A lab link
// end's capture has two sources (link_captures.h): the packet socket's
// thread, handing over each outgoing frame a little after its kernel stamp,
// and the end's delay line, handing over each incoming packet as it stamps
// it. Records are held for `window` of capture time and written oldest
// first, so that the file reads in time order as the simulation's does; a
// record that comes later than that is still written, after the rest, and
// counted.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "core/bytes.h"
#include "core/error.h"
#include "core/time.h"
#include "pcap/pcap_writer.h"

namespace tether::lab {

class OrderedPcapWriter {
 public:
  OrderedPcapWriter(std::unique_ptr<pcap::PcapWriter> writer, Duration window);
  // From any thread; ignored once closed.
  void write(WallTime at, ByteView frame, std::uint32_t original_length);
  // Writes what is held, in order, and closes the file.
  Result<void> close();
  // Records written after one stamped later than them (came beyond the window).
  std::uint64_t out_of_order() const;

 private:
  void write_through(std::int64_t horizon_ns);  // the held records up to the horizon

  struct Held {
    Bytes frame;
    std::uint32_t original_length;
  };
  mutable std::mutex mutex_;
  std::unique_ptr<pcap::PcapWriter> writer_;
  const Duration window_;
  std::multimap<std::int64_t, Held> held_;  // by stamp; equal stamps keep their order
  std::int64_t newest_ns_ = INT64_MIN, written_ns_ = INT64_MIN;
  std::uint64_t out_of_order_ = 0;
};

}  // namespace tether::lab
