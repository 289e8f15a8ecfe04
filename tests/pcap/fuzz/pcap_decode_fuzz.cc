// libFuzzer target for the decode layer (pcap/decode.h): any frames, on any
// link type tether reads, with fragments spread over records and small
// reassembly limits, must give units or errors, never a crash, an
// out-of-bounds read, unbounded memory or a sanitizer report. Build with
// -DTETHER_FUZZ=ON and clang:
//   ./build/bin/pcap_decode_fuzz -max_total_time=60 -dict=tests/pcap/fuzz/pcap_decode.dict
//
// Input layout: byte 0 picks the link type; then records, each a 2-byte
// big-endian length, a byte of how far the clock moves (in seconds, so
// reassembly timeouts fire), a byte saying how many bytes of the frame's
// end the snaplen cut, and the captured bytes.

#include <pcap/dlt.h>

#include <cstddef>
#include <cstdint>

#include "pcap/decode.h"

using namespace tether;
using namespace tether::pcap;

namespace {

constexpr int kLinkTypes[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
                              DLT_IPV6,   DLT_PPP,       DLT_NULL,       DLT_LOOP, DLT_USER0};

// Reads every byte it is handed, so that a view past the frame shows up
// under AddressSanitizer.
class TouchingVisitor : public PacketVisitor {
 public:
  void on_datagram(const Datagram& d) override { touch(d.payload); }
  void on_segment(const Segment& s) override { touch(s.payload); }
  void on_icmp(const IcmpMessage& m) override { touch(m.quoted); }
  void on_error(const DecodeError& e) override { sum_ += e.to_string().size(); }
  unsigned sum_ = 0;

 private:
  void touch(ByteView bytes) {
    for (std::uint8_t b : bytes) sum_ += b;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  TouchingVisitor visitor;
  ReassemblyLimits limits;
  limits.max_pending_datagrams = 8;
  limits.max_pending_bytes = 16 * 1024;
  limits.timeout = Duration::seconds(30);
  Decoder decoder(kLinkTypes[data[0] % (sizeof kLinkTypes / sizeof kLinkTypes[0])], visitor, limits);
  Origin origin;
  origin.capture_name = "fuzz.pcap";
  std::size_t at = 1;
  while (at + 4 <= size) {
    std::size_t length = std::size_t{data[at]} << 8 | data[at + 1];
    origin.at = origin.at + Duration::seconds(data[at + 2]);
    std::uint32_t cut = data[at + 3];
    at += 4;
    if (length > size - at) length = size - at;
    // A frame of its own, so that reading past it is a heap overflow.
    Bytes frame(data + at, data + at + length);
    ++origin.packet_number;
    decoder.decode(origin, frame, static_cast<std::uint32_t>(length) + cut);
    at += length;
  }
  decoder.finish();
  return 0;
}
