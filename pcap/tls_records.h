#pragma once
// TLS records in a byte stream, read from their 5-byte headers only (RFC
// 8446 5.1, RFC 5246 6.2.1: type, legacy version, length): nothing is
// decrypted and a record's body is skipped as it arrives, so memory stays at
// the 5 header bytes whatever the traffic.

#include <cstdint>
#include <functional>
#include <string>

#include "core/bytes.h"
#include "pcap/packet.h"

namespace tether::pcap {

// "tls-handshake", "tls-application-data", "tls-alert",
// "tls-change-cipher-spec", "tls-heartbeat"; null for another type.
const char* tls_record_kind(std::uint8_t type);

class TlsRecordScanner {
 public:
  struct Record {
    std::uint8_t type = 0;
    std::uint16_t version = 0;  // 0x0303 in every TLS 1.2/1.3 record
    std::uint16_t length = 0;
    // The first byte of the body: the handshake message type of a plaintext
    // handshake record (1 ClientHello, 2 ServerHello, ...); -1 if empty.
    int first_body_byte = -1;
  };
  // A record, once its last byte is in (with the origin of the bytes that
  // completed it); or what makes the stream not TLS, after which the
  // scanner reads nothing more.
  std::function<void(const Record& record, const Origin& origin)> on_record;
  std::function<void(const std::string& problem, const Origin& origin)> on_error;

  // RFC 8446 5.2: a TLSCiphertext is at most 2^14 + 256 bytes, a TLS 1.2
  // one 2^14 + 2048 (RFC 5246 6.2.3); above that it is not a TLS record.
  static constexpr std::uint16_t kMaxRecord = (1 << 14) + 2048;

  void feed(ByteView bytes, const Origin& origin);
  // Bytes were lost: record boundaries are unknown from here on.
  void lose();
  bool failed() const { return failed_; }

 private:
  std::uint8_t header_[6] = {};
  std::size_t header_have_ = 0;
  std::size_t body_left_ = 0;
  Record pending_;  // the record whose body is being skipped
  bool failed_ = false;
};

}  // namespace tether::pcap
