#include "sim/world/pcap_records.h"

#include <fstream>
#include <iterator>

namespace tether::testing {
namespace {

std::uint32_t le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[3]) << 24;
}

}  // namespace

Result<PcapFile> read_pcap(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(ErrorCode::io, file.string() + ": cannot open");
  const Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The global header: magic, version, thiszone, sigfigs, snaplen, network.
  if (data.size() < 24 || le32(data.data()) != 0xa1b2c3d4)
    return Error(ErrorCode::invalid_argument, file.string() + ": not a little-endian classic pcap file");
  PcapFile out;
  out.link_type = le32(data.data() + 20);
  for (std::size_t offset = 24; offset < data.size();) {
    if (offset + 16 > data.size())
      return Error(ErrorCode::invalid_argument, file.string() + ": truncated record header at byte " + std::to_string(offset));
    PcapRecord r;
    r.seconds = le32(data.data() + offset);
    r.microseconds = le32(data.data() + offset + 4);
    const std::uint32_t captured = le32(data.data() + offset + 8);
    r.original_length = le32(data.data() + offset + 12);
    offset += 16;
    if (offset + captured > data.size())
      return Error(ErrorCode::invalid_argument, file.string() + ": truncated record at byte " + std::to_string(offset));
    r.data.assign(data.begin() + std::ptrdiff_t(offset), data.begin() + std::ptrdiff_t(offset + captured));
    offset += captured;
    out.records.push_back(std::move(r));
  }
  return out;
}

}  // namespace tether::testing
