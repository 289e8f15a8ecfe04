#pragma once
// What the capture layer hands to the dissectors: one transport-level unit
// (a UDP datagram, a TCP segment, an ICMP message) as it was on the wire,
// with where it came from in the capture. Link layers, VLAN tags, IP
// headers and IP fragments are already taken off (pcap/decode.h); the
// payload views the capture's own buffer and lives as long as the call
// that hands it over.
//
//   reader (libpcap) -> decode (link, IP, reassembly) -> Datagram/Segment/
//   IcmpMessage -> dissectors (wireguard, tcp+smtp, icmp) -> TimelineEvent

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/time.h"

namespace tether::pcap {

// A capture's name (its file's, or its interface's), shared by every unit
// read from it: it is in every Origin, and so copied with every datagram,
// segment and event of a capture of millions of packets, where a copy is a
// reference count rather than a string. It reads as the std::string it
// holds (converts to const std::string&, compares and concatenates as one).
class CaptureName {
 public:
  CaptureName() = default;
  CaptureName(std::string name)  // NOLINT: a name is given as a string everywhere
      : name_(name.empty() ? nullptr : std::make_shared<const std::string>(std::move(name))) {}
  CaptureName(const char* name) : CaptureName(std::string(name)) {}  // NOLINT

  const std::string& str() const { return name_ ? *name_ : empty_string(); }
  operator const std::string&() const { return str(); }  // NOLINT
  bool empty() const { return str().empty(); }
  std::size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }

 private:
  static const std::string& empty_string() {
    static const std::string empty;
    return empty;
  }
  std::shared_ptr<const std::string> name_;
};

inline bool operator==(const CaptureName& a, const CaptureName& b) { return a.str() == b.str(); }
inline bool operator==(const CaptureName& a, const std::string& b) { return a.str() == b; }
inline bool operator==(const std::string& a, const CaptureName& b) { return a == b.str(); }
inline bool operator==(const CaptureName& a, const char* b) { return a.str() == b; }
inline bool operator!=(const CaptureName& a, const CaptureName& b) { return !(a == b); }
inline bool operator!=(const CaptureName& a, const std::string& b) { return !(a == b); }
inline bool operator!=(const CaptureName& a, const char* b) { return !(a == b); }
inline std::string operator+(const CaptureName& a, const std::string& b) { return a.str() + b; }
inline std::string operator+(const CaptureName& a, const char* b) { return a.str() + b; }
inline std::string operator+(const std::string& a, const CaptureName& b) { return a + b.str(); }
inline std::string operator+(const char* a, const CaptureName& b) { return a + b.str(); }
inline std::ostream& operator<<(std::ostream& os, const CaptureName& name) { return os << name.str(); }

// Where a unit came from: which capture (its index among the inputs and its
// name), and the 1-based number of the record that completed it (the last
// fragment's, for a reassembled datagram), as tshark numbers frames.
struct Origin {
  std::size_t capture = 0;
  CaptureName capture_name;  // the file's name, or the interface's
  std::uint64_t packet_number = 0;
  WallTime at;               // the record's timestamp, nanoseconds
};

struct Datagram {  // UDP
  Origin origin;
  Endpoint source, destination;
  ByteView payload;
  // Payload bytes the capture did not keep (a snaplen shorter than the
  // packet): `payload` is the captured start of payload.size() + payload_cut.
  std::uint32_t payload_cut = 0;
};

struct Segment {  // TCP
  Origin origin;
  Endpoint source, destination;
  std::uint32_t seq = 0, ack = 0;
  bool syn = false, ack_flag = false, fin = false, rst = false, psh = false;
  std::uint16_t window = 0;
  ByteView payload;
  // Payload bytes the capture did not keep (a snaplen shorter than the
  // packet): the segment carried payload.size() + payload_cut bytes.
  std::uint32_t payload_cut = 0;
};

struct IcmpMessage {  // ICMP or ICMPv6
  Origin origin;
  IpAddress source, destination;
  bool v6 = false;
  std::uint8_t type = 0, code = 0;
  // The start of the packet it answers (unreachable, time exceeded): its
  // IP header and at least 8 bytes after it, as RFC 792/4443 quote it.
  ByteView quoted;
};

}  // namespace tether::pcap
