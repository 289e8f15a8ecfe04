#pragma once
// Reading a capture file, pcap or pcapng, record by record through libpcap
// (never by parsing the format ourselves), with nanosecond timestamps and
// tshark's 1-based frame numbers. Errors name the file and, once records
// have been read, the number of the record that could not be.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/error.h"
#include "core/time.h"

// libpcap's handles (pcap_t, pcap_dumper_t), declared here so that
// <pcap/pcap.h> stays out of the headers.
struct pcap;
struct pcap_dumper;

namespace tether::pcap {

// One record as libpcap hands it over: `data` is the captured part (at most
// the snaplen), `original_length` what was on the wire. The view lives until
// the next call to next().
struct Record {
  std::uint64_t number = 0;  // 1-based, as tshark numbers frames
  WallTime at;
  std::uint32_t original_length = 0;
  ByteView data;
};

class CaptureFile {
 public:
  // Opens `path` (pcap of either byte order and precision, or pcapng; "-"
  // is the standard input).
  // A zero-length file, a wrong magic number or a cut header is an error
  // naming the file.
  static Result<std::unique_ptr<CaptureFile>> open(const std::string& path);
  ~CaptureFile();
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;

  const std::string& path() const { return path_; }
  // The link-layer header type (DLT_*) of the file (for pcapng, of its first
  // interface, which is what libpcap supports).
  int link_type() const { return link_type_; }
  std::uint32_t snaplen() const { return snaplen_; }

  // The next record; nullopt at the end of the file. A record cut short by
  // the end of the file is an error "FILE: packet N: ..."; the records
  // before it have been handed over already, and after it next() returns
  // nullopt.
  Result<std::optional<Record>> next();
  std::uint64_t records_read() const { return records_read_; }

 private:
  CaptureFile() = default;

  std::string path_;
  ::pcap* handle_ = nullptr;
  int link_type_ = 0;
  std::uint32_t snaplen_ = 0;
  std::uint64_t records_read_ = 0;
  bool finished_ = false;
};

}  // namespace tether::pcap
