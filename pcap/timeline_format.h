#pragma once
// The timeline as a table: CSV (a header line, one row per event) or JSON
// (an array of objects with the same keys, null where a field does not
// apply). The first four columns are those of the simulation's events.csv
// (time_s, source, kind, detail) so that the two line up; time_s here is
// seconds since the Unix epoch with nanoseconds, which for a simulation's
// pcaps is the scenario's epoch plus the simulated time
// (sim/world/wall_clock_pcap.h).
//
// Columns: time_s, source, kind, detail, capture, link, packet,
// destination, layer, protocol, wg_type, wg_sender, wg_receiver,
// wg_counter, wg_keepalive, wg_session, smtp_verb, smtp_code, tcp_flags.
// WireGuard indexes are written as 0x%08x, as tcpdump and the key log's
// tools show them.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "pcap/timeline_event.h"

namespace tether::pcap {

enum class TimelineFormat { csv, json };

extern const std::vector<std::string> kTimelineColumns;

// "1767225600.033000000"
std::string format_epoch_seconds(WallTime at);

// Writes the events to `out`, buffered. False when a write failed.
bool write_timeline(std::FILE* out, const std::vector<TimelineEvent>& events, TimelineFormat format);
std::string timeline_text(const std::vector<TimelineEvent>& events, TimelineFormat format);

// The same table, built from events handed over in any order as they are
// found (timeline.h's TimelineEventSink) and written in time order, stable
// as sort_timeline is, so the bytes equal write_timeline's of the sorted
// events. Each event is rendered into its row at once and only the rows are
// kept (a fraction of a TimelineEvent's size): what lets `tether-pcap
// timeline` read captures of millions of packets at close to libpcap's own
// pace (bench/pcap_timeline).
class TimelineTable {
 public:
  // `block_size`: how the rows' memory grows (tests make it small).
  explicit TimelineTable(TimelineFormat format, std::size_t block_size = 8u << 20)
      : format_(format), block_size_(block_size) {}
  void add(const TimelineEvent& event);
  std::size_t rows() const { return keys_.size(); }
  // Writes header, rows and footer to `out`, buffered. False when a write failed.
  bool write(std::FILE* out);

 private:
  struct Key {
    std::int64_t at_ns;
    std::uint32_t block, offset, length;
  };
  // Rows back to back in memory that is never moved once written (a block
  // holds many rows; one larger than a block gets a block of its own).
  struct Block {
    struct Free {
      void operator()(char* p) const { std::free(p); }
    };
    explicit Block(std::size_t size);
    std::unique_ptr<char[], Free> data;
    std::size_t size = 0, capacity = 0;
  };
  char* room(std::size_t bytes);  // where `bytes` more fit in the last block
  void sort_keys();               // into time order, stable

  TimelineFormat format_;
  std::size_t block_size_;
  std::vector<Block> blocks_;  // the rows, in the order added
  std::vector<Key> keys_;
  bool in_order_ = true;       // rows added so far are in time order
  std::string scratch_;        // a JSON row, before its block
};

}  // namespace tether::pcap
