#include "pcap/capture_file.h"

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace tether::pcap {

Result<std::unique_ptr<CaptureFile>> CaptureFile::open(const std::string& path) {
  // libpcap's message for an empty file is "truncated dump file; tried to
  // read 4 file header bytes, only got 0", true but unhelpful: say it plainly.
  // "-" is the standard input, as libpcap (and tcpdump -r -) take it.
  struct stat st {};
  if (path != "-" && ::stat(path.c_str(), &st) != 0) {
    return make_error(errno == ENOENT ? ErrorCode::not_found : ErrorCode::io,
                      path + ": " + std::strerror(errno));
  }
  if (S_ISREG(st.st_mode) && st.st_size == 0) {
    return make_error(ErrorCode::invalid_argument, path + ": empty file (0 bytes), not a pcap or pcapng capture");
  }
  char error[PCAP_ERRBUF_SIZE] = {};
  pcap_t* handle = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, error);
  if (handle == nullptr) {
    return make_error(ErrorCode::invalid_argument, path + ": not a readable capture: " + error);
  }
  std::unique_ptr<CaptureFile> file(new CaptureFile());
  file->path_ = path;
  file->handle_ = handle;
  file->link_type_ = pcap_datalink(handle);
  file->snaplen_ = static_cast<std::uint32_t>(pcap_snapshot(handle));
  return file;
}

CaptureFile::~CaptureFile() {
  if (handle_ != nullptr) pcap_close(handle_);
}

Result<std::optional<Record>> CaptureFile::next() {
  if (finished_) return std::optional<Record>();
  struct pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int status = pcap_next_ex(handle_, &header, &data);
  if (status == PCAP_ERROR_BREAK) {  // the end of a file
    finished_ = true;
    return std::optional<Record>();
  }
  if (status != 1) {
    // Reading a file never times out (0); anything else is a cut or
    // malformed record, which ends what can be read of the file.
    finished_ = true;
    return make_error(ErrorCode::invalid_argument, path_ + ": packet " + std::to_string(records_read_ + 1) +
                                                       ": " + pcap_geterr(handle_));
  }
  ++records_read_;
  Record record;
  record.number = records_read_;
  // At nanosecond precision libpcap puts nanoseconds in tv_usec (pcap(3PCAP),
  // "pcap_open_offline_with_tstamp_precision").
  record.at = WallTime::from_unix_ns(static_cast<std::int64_t>(header->ts.tv_sec) * 1000'000'000 +
                                     static_cast<std::int64_t>(header->ts.tv_usec));
  record.original_length = header->len;
  record.data = ByteView(data, header->caplen);
  return std::optional<Record>(record);
}

}  // namespace tether::pcap
