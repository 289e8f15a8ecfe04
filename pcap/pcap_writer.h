#pragma once
// Writing a pcap file through libpcap (pcap_dump), with the nanosecond magic
// number (0xa1b23c4d) so that timestamps keep their nanoseconds: what the
// tests make their captures with, and what the lab writes.

#include <cstdint>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "core/error.h"
#include "core/time.h"

// libpcap's handles (pcap_t, pcap_dumper_t), declared here so that
// <pcap/pcap.h> stays out of the headers.
struct pcap;
struct pcap_dumper;

namespace tether::pcap {

class PcapWriter {
 public:
  // `link_type` is a DLT_* value (libpcap writes the matching LINKTYPE_*).
  static Result<std::unique_ptr<PcapWriter>> create(const std::string& path, int link_type,
                                                    std::uint32_t snaplen = 262144);
  ~PcapWriter();  // closes (flushing) if close() was not called
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // One record. `original_length` is what was on the wire (0: the frame's
  // size); the frame is cut to the snaplen as a capture would cut it.
  void write(WallTime at, ByteView frame, std::uint32_t original_length = 0);
  // Flushes and closes; an error names the file.
  Result<void> close();

 private:
  PcapWriter() = default;

  std::string path_;
  ::pcap* dead_ = nullptr;
  ::pcap_dumper* dumper_ = nullptr;
  std::uint32_t snaplen_ = 0;
};

}  // namespace tether::pcap
