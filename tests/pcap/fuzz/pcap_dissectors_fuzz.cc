// libFuzzer target for the TCP, SMTP and ICMP dissectors: any sequence of
// segments and ICMP messages, with any flags, sequence numbers and payloads,
// must give events and problems, never a crash, a hang, unbounded memory or a
// sanitizer report. Build with -DTETHER_FUZZ=ON and clang:
//   ./build/bin/pcap_dissectors_fuzz -max_total_time=60 -dict=tests/pcap/fuzz/pcap_dissectors.dict
//
// Input layout: records, each a 4-byte header then a payload:
//   byte 0: bits 0-4 the TCP flags (FIN SYN RST PSH ACK), bit 5 the direction
//           (server to client), bit 6 an ICMP message instead of a segment
//           (then byte 1 is its type and byte 2 its code, bit 7 IPv6);
//   byte 1: the sequence number's step class (0: the next byte, 1: back a
//           little, 2: ahead a little, 3: anywhere), or the ICMP type;
//   byte 2: the payload length (0-255), for ICMP also its code;
//   byte 3: bits 0-1 the port pair (25, 465, 2525, 8080 on the server side),
//           bits 2-7 times 16 the payload bytes the capture cut off.
// Sequence numbers follow the stream mostly, so the SMTP dissector sees
// conversations deep enough to matter.

#include <cstddef>
#include <cstdint>
#include <string>

#include "pcap/dissector_output.h"
#include "pcap/icmp_dissector.h"
#include "pcap/smtp_dissector.h"
#include "pcap/tcp_dissector.h"

using namespace tether;
using namespace tether::pcap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::uint16_t kPorts[] = {25, 465, 2525, 8080};
  const IpAddress client = *IpAddress::parse("198.51.100.7"), server = *IpAddress::parse("192.0.2.2");
  DissectorOutput out;
  TcpDissector tcp(out, smtp_stream_dissectors());
  std::uint32_t next[4][2] = {};  // per port pair, per direction
  std::uint64_t number = 0;
  std::size_t i = 0;
  while (i + 4 <= size) {
    const std::uint8_t h0 = data[i], h1 = data[i + 1], h2 = data[i + 2], h3 = data[i + 3];
    i += 4;
    std::size_t n = h2;
    if (n > size - i) n = size - i;
    ByteView payload(data + i, n);
    i += n;
    Origin origin;
    origin.capture_name = "fuzz.pcap";
    origin.packet_number = ++number;
    origin.at = WallTime::from_unix_ns(std::int64_t(number) * 1000000);
    if (h0 & 0x40) {
      IcmpMessage m;
      m.origin = origin;
      m.v6 = (h0 & 0x80) != 0;
      m.source = server;
      m.destination = client;
      m.type = h1;
      m.code = h2;
      m.quoted = payload;
      dissect_icmp(m, out);
      continue;
    }
    const int pair = h3 & 3;
    const bool from_server = (h0 & 0x20) != 0;
    Segment s;
    s.origin = origin;
    Endpoint c(client, std::uint16_t(40000 + pair)), sv(server, kPorts[pair]);
    s.source = from_server ? sv : c;
    s.destination = from_server ? c : sv;
    s.fin = h0 & 1;
    s.syn = h0 & 2;
    s.rst = h0 & 4;
    s.psh = h0 & 8;
    s.ack_flag = h0 & 16;
    std::uint32_t& seq = next[pair][from_server ? 1 : 0];
    switch (h1 & 3) {
      case 0: break;
      case 1: seq -= h1; break;
      case 2: seq += h1; break;
      case 3: seq = std::uint32_t(h1) << 24 | std::uint32_t(h2) << 8; break;
    }
    s.seq = seq;
    s.ack = next[pair][from_server ? 0 : 1];
    s.payload = payload;
    s.payload_cut = std::uint32_t(h3 >> 2) * 16;
    seq += std::uint32_t(n) + s.payload_cut + (s.syn ? 1 : 0) + (s.fin ? 1 : 0);
    tcp.segment(s);
  }
  tcp.finish();
  return 0;
}
