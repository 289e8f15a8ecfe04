#include "pcap/pcap_writer.h"

#include <pcap/pcap.h>

#include <algorithm>

namespace tether::pcap {

Result<std::unique_ptr<PcapWriter>> PcapWriter::create(const std::string& path, int link_type,
                                                       std::uint32_t snaplen) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(link_type, static_cast<int>(snaplen), PCAP_TSTAMP_PRECISION_NANO);
  if (dead == nullptr) return make_error(ErrorCode::internal, path + ": libpcap could not make a handle to write with");
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  if (dumper == nullptr) {
    std::string why = pcap_geterr(dead);
    pcap_close(dead);
    return make_error(ErrorCode::io, path + ": cannot write a capture: " + why);
  }
  std::unique_ptr<PcapWriter> writer(new PcapWriter());
  writer->path_ = path;
  writer->dead_ = dead;
  writer->dumper_ = dumper;
  writer->snaplen_ = snaplen;
  return writer;
}

PcapWriter::~PcapWriter() { (void)close(); }

void PcapWriter::write(WallTime at, ByteView frame, std::uint32_t original_length) {
  if (dumper_ == nullptr) return;
  struct pcap_pkthdr header {};
  std::int64_t ns = at.unix_ns();
  std::int64_t seconds = ns >= 0 ? ns / 1000'000'000 : -((-ns + 999'999'999) / 1000'000'000);
  header.ts.tv_sec = static_cast<time_t>(seconds);
  // With a nanosecond handle pcap_dump writes tv_usec as nanoseconds.
  header.ts.tv_usec = static_cast<suseconds_t>(ns - seconds * 1000'000'000);
  header.caplen = static_cast<bpf_u_int32>(std::min<std::size_t>(frame.size(), snaplen_));
  header.len = original_length != 0 ? original_length : static_cast<bpf_u_int32>(frame.size());
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, frame.data());
}

Result<void> PcapWriter::close() {
  if (dumper_ == nullptr) return {};
  bool flushed = pcap_dump_flush(dumper_) == 0;
  pcap_dump_close(dumper_);
  pcap_close(dead_);
  dumper_ = nullptr;
  dead_ = nullptr;
  if (!flushed) return make_error(ErrorCode::io, path_ + ": writing the capture failed");
  return {};
}

}  // namespace tether::pcap
