#pragma once
// The records of a classic little-endian pcap file as ns-3 writes it: each
// packet's timestamp and bytes, and the file's link type. For tests that
// check what a capture says without depending on tshark.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace tether::testing {

struct PcapRecord {
  std::uint32_t seconds = 0;       // ts_sec: Unix seconds
  std::uint32_t microseconds = 0;  // ts_usec
  std::uint32_t original_length = 0;
  Bytes data;
  std::int64_t unix_us() const { return std::int64_t(seconds) * 1'000'000 + microseconds; }
};

struct PcapFile {
  std::uint32_t link_type = 0;
  std::vector<PcapRecord> records;
};

// Errors name the file: not a classic little-endian pcap, a truncated record.
Result<PcapFile> read_pcap(const std::filesystem::path& file);

}  // namespace tether::testing
