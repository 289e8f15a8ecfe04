#include "pcap/tls_records.h"

#include <algorithm>
#include <cstdio>

namespace tether::pcap {

const char* tls_record_kind(std::uint8_t type) {
  switch (type) {
    case 20: return "tls-change-cipher-spec";
    case 21: return "tls-alert";
    case 22: return "tls-handshake";
    case 23: return "tls-application-data";
    case 24: return "tls-heartbeat";
    default: return nullptr;
  }
}

void TlsRecordScanner::lose() { failed_ = true; }

// A record is reported at the packet holding its last byte, as tshark
// attributes a record (and as SMTP lines are reported when complete).
void TlsRecordScanner::feed(ByteView bytes, const Origin& origin) {
  std::size_t i = 0;
  while (i < bytes.size() && !failed_) {
    if (body_left_ > 0) {
      std::size_t n = std::min(body_left_, bytes.size() - i);
      body_left_ -= n;
      i += n;
      if (body_left_ == 0 && on_record) on_record(pending_, origin);
      continue;
    }
    header_[header_have_++] = bytes[i++];
    if (header_have_ < 5) continue;
    if (header_have_ == 5) {
      const std::uint8_t type = header_[0];
      const std::uint16_t length = static_cast<std::uint16_t>(header_[3] << 8 | header_[4]);
      if (!tls_record_kind(type) || header_[1] != 3 || length > kMaxRecord) {
        char shown[64];
        std::snprintf(shown, sizeof shown, "%02x %02x %02x %02x %02x", header_[0], header_[1], header_[2],
                      header_[3], header_[4]);
        failed_ = true;
        if (on_error) on_error(std::string("not a TLS record header (") + shown + ")", origin);
        return;
      }
      if (length == 0) {
        Record r{type, static_cast<std::uint16_t>(header_[1] << 8 | header_[2]), 0, -1};
        header_have_ = 0;
        if (on_record) on_record(r, origin);
      }
      continue;
    }
    // header_have_ == 6: the first body byte is in.
    pending_ = Record{header_[0], static_cast<std::uint16_t>(header_[1] << 8 | header_[2]),
                      static_cast<std::uint16_t>(header_[3] << 8 | header_[4]), header_[5]};
    body_left_ = pending_.length - 1u;
    header_have_ = 0;
    if (body_left_ == 0 && on_record) on_record(pending_, origin);
  }
}

}  // namespace tether::pcap
