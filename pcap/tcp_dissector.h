#pragma once
// TCP in a capture: connections followed from their SYN (or from their first
// segment, for a capture begun mid-way), an event for each SYN, SYN-ACK,
// RST and FIN, retransmissions, connection attempts nobody answered, and
// each direction's byte stream put back in order (tcp_reassembly.h) for the
// connection's application dissector (SMTP: smtp_dissector.h).
//
// Events (protocol "tcp", tcp_flags as tcpdump prints them: "S", "S.", "R",
// "R.", "F.", "FP.", ...):
//   syn, syn-ack, rst, fin  one per segment carrying the flag; a SYN or
//                           SYN-ACK sent again says "retransmission" in its
//                           detail (a repeated SYN keeps kind "syn", so the
//                           SYN schedule reads off one kind)
//   retransmission          a data segment whose every byte was seen before
//   unanswered              a SYN never answered by a SYN-ACK, by the end of
//                           the capture or by an RST: the SYN count and the
//                           span from the first SYN to the last one
// Problems (DissectorOutput::problems): absurd sequence jumps, holes in a
// stream (also handed to the application dissector as a gap).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "pcap/dissector_output.h"
#include "pcap/packet.h"
#include "pcap/tcp_reassembly.h"

namespace tether::pcap {

struct StreamContext {
  Endpoint client, server;  // the SYN's sender and its destination
};

// What reads one connection's reassembled bytes.
class StreamDissector {
 public:
  virtual ~StreamDissector() = default;
  virtual void data(bool from_client, ByteView bytes, const Origin& origin, DissectorOutput& out) = 0;
  // `missing` bytes of that direction were not captured.
  virtual void gap(bool from_client, std::uint64_t missing, const Origin& origin, DissectorOutput& out) = 0;
};
// May return null: the connection's bytes interest nobody.
using StreamDissectorFactory = std::function<std::unique_ptr<StreamDissector>(const StreamContext&)>;

// "S.", "F.", "R", "FP." : tcpdump's letters in its order (print-tcp.c,
// tcp_flag_values: F S R P then "." for ACK).
std::string tcp_flags_text(const Segment& s);

class TcpDissector {
 public:
  explicit TcpDissector(DissectorOutput& out, StreamDissectorFactory factory = {});
  ~TcpDissector();
  TcpDissector(const TcpDissector&) = delete;
  TcpDissector& operator=(const TcpDissector&) = delete;

  // Segments in capture order.
  void segment(const Segment& s);
  // The end of the capture: unanswered SYNs are reported, open holes given up.
  void finish();

  // Past this many connections, closed ones are forgotten first; a capture
  // with more open at once than this has the newest ones left unfollowed.
  static constexpr std::size_t kMaxConnections = 65536;
  std::size_t connections() const { return connections_.size(); }

 private:
  struct Connection;
  using Key = std::pair<Endpoint, Endpoint>;  // the smaller endpoint first
  Connection* find_or_create(const Segment& s);
  void end(Connection& c);
  void report_unanswered(Connection& c, const Origin& at, const char* how);

  DissectorOutput& out_;
  StreamDissectorFactory factory_;
  std::map<Key, std::unique_ptr<Connection>> connections_;
  bool overflow_reported_ = false;
};

}  // namespace tether::pcap
