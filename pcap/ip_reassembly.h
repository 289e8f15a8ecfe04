#pragma once
// Putting fragmented IPv4 and IPv6 datagrams back together, as a receiving
// host would, with bounded memory. Fragments belong together when they share
// the key RFC 791 (section 2.3, "Fragmentation") gives for IPv4 (source,
// destination, protocol, identification) and RFC 8200 (section 4.5) for
// IPv6 (source, destination, identification). Overlapping fragments discard
// the whole datagram, as RFC 8200 section 4.5 (after RFC 5722) requires for
// IPv6 and Linux does for IPv4 too (net/ipv4/inet_fragment.c,
// inet_frag_queue_insert: an overlap marks the queue for dropping); an exact
// duplicate is ignored. Nothing is lost silently: every datagram dropped
// (overlap, timeout, limits) or still incomplete at the end is reported.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "core/time.h"
#include "pcap/packet.h"

namespace tether::pcap {

struct ReassemblyLimits {
  std::size_t max_pending_datagrams = 4096;
  std::size_t max_pending_bytes = 64 * 1024 * 1024;
  // Capture time from a datagram's first fragment after which it is given
  // up: IPv6's 60 s (RFC 8200 section 4.5), which also covers Linux's 30 s
  // ipfrag_time for IPv4.
  Duration timeout = Duration::seconds(60);
};

struct FragmentKey {
  bool v6 = false;
  IpAddress source, destination;
  std::uint8_t protocol = 0;  // IPv4 only: IPv6's key has none
  std::uint32_t identification = 0;
  bool operator<(const FragmentKey& o) const;
  std::string to_string() const;
};

struct Fragment {
  FragmentKey key;
  std::uint32_t offset = 0;  // bytes into the fragmentable part
  bool more = false;
  // IPv6: the Next Header of the fragment header, meaningful for the first
  // fragment; IPv4: the protocol.
  std::uint8_t next_header = 0;
  ByteView data;  // the fragment's share of the fragmentable part
};

struct ReassembledDatagram {
  FragmentKey key;
  std::uint8_t next_header = 0;
  Bytes payload;  // the whole fragmentable part
  std::vector<std::uint64_t> packet_numbers;  // of the fragments, in arrival order
};

// A datagram given up: where (the last fragment seen) and why.
struct ReassemblyFailure {
  Origin origin;
  std::string message;
};

class IpReassembler {
 public:
  explicit IpReassembler(ReassemblyLimits limits = {}) : limits_(limits) {}

  // Adds one fragment; returns the datagram if it is now complete. Failures
  // (an overlap, a datagram over 65535 bytes, older datagrams timed out or
  // evicted to stay within the limits) go to `failed`.
  std::optional<ReassembledDatagram> add(const Origin& origin, const Fragment& fragment,
                                         const std::function<void(const ReassemblyFailure&)>& failed);
  // The end of the capture: every datagram still incomplete.
  void finish(const std::function<void(const ReassemblyFailure&)>& failed);

  std::size_t pending_datagrams() const { return pending_.size(); }
  std::size_t pending_bytes() const { return pending_bytes_; }

 private:
  struct Pending {
    WallTime first_seen;
    Origin last_origin;
    std::map<std::uint32_t, Bytes> pieces;  // by offset
    std::optional<std::uint32_t> total;     // known once the last fragment came
    std::optional<std::uint8_t> next_header;  // from the fragment at offset 0
    std::size_t bytes = 0;
    std::vector<std::uint64_t> packet_numbers;
  };

  void drop(std::map<FragmentKey, Pending>::iterator it, const std::string& why,
            const std::function<void(const ReassemblyFailure&)>& failed);
  static std::string describe(const FragmentKey& key, const Pending& pending);

  ReassemblyLimits limits_;
  std::map<FragmentKey, Pending> pending_;
  std::size_t pending_bytes_ = 0;
};

}  // namespace tether::pcap
