// The frame a released packet came in on (released_frame.h).
#include "lab/runner/released_frame.h"

#include <algorithm>

namespace tether::lab {

namespace {

MacAddress destination_of(ByteView ip, const MacAddress& own) {
  const int version = ip.empty() ? 0 : ip[0] >> 4;
  if (version == 4 && ip.size() >= 20) {
    const std::uint8_t* d = ip.data() + 16;
    if ((d[0] & 0xf0) == 0xe0) return {0x01, 0x00, 0x5e, std::uint8_t(d[1] & 0x7f), d[2], d[3]};
    if (d[0] == 0xff && d[1] == 0xff && d[2] == 0xff && d[3] == 0xff) return {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  }
  if (version == 6 && ip.size() >= 40) {
    const std::uint8_t* d = ip.data() + 24;
    if (d[0] == 0xff) return {0x33, 0x33, d[12], d[13], d[14], d[15]};
  }
  return own;
}

}  // namespace

Bytes ethernet_frame(ByteView ip_packet, ByteView source_hw, const MacAddress& own) {
  Bytes frame;
  frame.reserve(14 + ip_packet.size());
  const MacAddress destination = destination_of(ip_packet, own);
  frame.insert(frame.end(), destination.begin(), destination.end());
  if (source_hw.size() == 6) append(frame, source_hw);
  else frame.insert(frame.end(), 6, 0);
  const bool v6 = !ip_packet.empty() && (ip_packet[0] >> 4) == 6;
  frame.push_back(v6 ? 0x86 : 0x08);
  frame.push_back(v6 ? 0xdd : 0x00);
  append(frame, ip_packet);
  return frame;
}

}  // namespace tether::lab
