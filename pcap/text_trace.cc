#include "pcap/text_trace.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "pcap/dissector_output.h"
#include "pcap/icmp_dissector.h"
#include "pcap/tcp_dissector.h"
#include "pcap/tcpdump_line.h"
#include "pcap/wireguard_dissector.h"

namespace tether::pcap {
namespace {

constexpr std::int64_t kDayNs = 86400LL * 1000'000'000;

bool capture_magic(const unsigned char* b) {
  static const unsigned char kMagics[][4] = {
      {0xa1, 0xb2, 0xc3, 0xd4}, {0xd4, 0xc3, 0xb2, 0xa1},  // pcap, microseconds
      {0xa1, 0xb2, 0x3c, 0x4d}, {0x4d, 0x3c, 0xb2, 0xa1},  // pcap, nanoseconds
      {0xa1, 0xb2, 0xcd, 0x34}, {0x34, 0xcd, 0xb2, 0xa1},  // Kuznetzov's modified pcap
      {0x0a, 0x0d, 0x0d, 0x0a},                            // pcapng section header
  };
  return std::any_of(std::begin(kMagics), std::end(kMagics),
                     [&](const unsigned char* m) { return std::memcmp(b, m, 4) == 0; });
}

void put_le(Bytes& b, std::size_t at, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) b[at + std::size_t(i)] = std::uint8_t(v >> (8 * i));
}

// The WireGuard message an OpenBSD [wg] line describes, with the fields it
// printed in their places (print-wg.c's structs) and zeros elsewhere: what
// the dissector reads of a message is exactly those fields and the length.
Bytes rebuild_wireguard(const TcpdumpWireGuard& wg) {
  Bytes b(wg.length, 0);
  b[0] = std::uint8_t(wg.type);
  switch (wg.type) {
    case 1: put_le(b, 4, wg.sender, 4); break;
    case 2: put_le(b, 4, wg.sender, 4), put_le(b, 8, wg.receiver, 4); break;
    case 3: put_le(b, 4, wg.receiver, 4); break;
    default: put_le(b, 4, wg.receiver, 4), put_le(b, 8, wg.counter, 8); break;
  }
  return b;
}

Endpoint endpoint(const IpAddress& address, const std::optional<std::uint16_t>& port) {
  return Endpoint(address, port.value_or(0));
}

// One text trace's reading: the time of day carried across lines, and the
// dissectors the packets go to.
class TextTraceReader {
 public:
  TextTraceReader(DissectorOutput& out, TimelineCounts& counts, const TimelineOptions& options, std::string name,
                  std::size_t capture)
      : out_(out),
        counts_(counts),
        options_(options),
        name_(std::move(name)),
        capture_(capture),
        day_(days_from_civil(options.text_date.year, options.text_date.month, options.text_date.day)),
        tcp_(out) {}

  void line(std::string_view text, std::uint64_t number) {
    const TcpdumpLine read = read_tcpdump_line(text);
    if (read.kind == TcpdumpLine::Kind::not_a_packet) return;
    if (read.kind == TcpdumpLine::Kind::unreadable) {
      ++timed_lines_;
      problem(number, read.problem);
      return;
    }
    ++packet_lines_;
    ++timed_lines_;
    ++counts_.records;
    const TcpdumpPacket& p = read.packet;
    Origin origin;
    origin.capture = capture_;
    origin.capture_name = name_;
    origin.packet_number = number;
    origin.at = resolve(p.time);
    switch (p.body) {
      case TcpdumpBody::wireguard: wireguard(p, origin); break;
      case TcpdumpBody::udp: udp(p, origin); break;
      case TcpdumpBody::tcp: tcp(p, origin); break;
      case TcpdumpBody::icmp: icmp(p, origin); break;
      case TcpdumpBody::other: break;
    }
  }

  bool any_timed_line() const { return timed_lines_ > 0; }

  void finish() {
    tcp_.finish();
    for (const WireGuardProblem& p : wireguard_.problems()) out_.problem(p.origin, p.message);
    counts_.wg_messages += wireguard_.counts().messages + length_only_messages_;
    if (packet_lines_ == 0 && timed_lines_ > 0)
      out_.problems.push_back(name_ + ": no tcpdump packet line could be read (lines that begin with a time)");
  }

 private:
  void problem(std::uint64_t line, const std::string& why) {
    if (out_.problems.size() >= DissectorOutput::kMaxProblems) {
      ++out_.problems_dropped;
      return;
    }
    out_.problems.push_back(name_ + ":" + std::to_string(line) + ": " + why);
  }

  WallTime resolve(const TcpdumpTime& t) {
    if (!t.time_of_day) return WallTime::from_unix_ns(t.ns);
    if (last_time_of_day_ && t.ns < *last_time_of_day_ - kDayNs / 2) ++day_;
    last_time_of_day_ = t.ns;
    return WallTime::from_unix_ns(day_ * kDayNs + t.ns);
  }

  void wireguard(const TcpdumpPacket& p, const Origin& origin) {
    ++counts_.datagrams;
    const TcpdumpWireGuard& wg = p.wireguard;
    if (wg.cut) {
      // tcpdump printed the type but not the fields: the kind is known, the
      // message cannot be followed.
      problem(origin.packet_number, "tcpdump cut the WireGuard message ([|wg]): its fields are missing");
      static const char* const kKinds[] = {"", "initiation", "response", "cookie-reply", "data"};
      const char* kind = wg.type == 4 && wg.length == 32 ? "keepalive" : kKinds[wg.type];
      TimelineEvent& e = out_.add(origin, endpoint(p.source, p.source_port).to_string(),
                                  endpoint(p.destination, p.destination_port).to_string(), "wg", kind,
                                  "cut by the capture");
      e.wg_type = wg.type;
      ++length_only_messages_;
      return;
    }
    const Bytes payload = rebuild_wireguard(wg);
    Datagram d;
    d.origin = origin;
    d.source = endpoint(p.source, p.source_port);
    d.destination = endpoint(p.destination, p.destination_port);
    d.payload = payload;
    wireguard_.dissect(d, out_.events);
  }

  bool on_wireguard_port(const TcpdumpPacket& p) const {
    const auto& ports = options_.wireguard.ports;
    return std::any_of(ports.begin(), ports.end(),
                       [&](std::uint16_t port) { return p.source_port == port || p.destination_port == port; });
  }

  // A UDP datagram shown by its length only (module comment: the kinds).
  void udp(const TcpdumpPacket& p, const Origin& origin) {
    ++counts_.datagrams;
    if (!on_wireguard_port(p)) return;
    const Endpoint from = endpoint(p.source, p.source_port), to = endpoint(p.destination, p.destination_port);
    const std::uint32_t n = p.udp_length;
    if (n < 32) {
      problem(origin.packet_number, "not WireGuard: " + std::to_string(n) + " bytes of UDP on a WireGuard port");
      return;
    }
    int type = 4;
    if (n == 148) {
      type = 1;
      unanswered_[{from, to}] = true;
    } else if (n == 92) {
      type = 2;
      unanswered_.erase({to, from});
    } else if (n == 64 && unanswered_.erase({to, from})) {
      type = 3;
    }
    static const char* const kKinds[] = {"", "initiation", "response", "cookie-reply"};
    const bool keepalive = type == 4 && n == 32;
    TimelineEvent& e = out_.add(origin, from.to_string(), to.to_string(), "wg",
                                type == 4 ? (keepalive ? "keepalive" : "data") : kKinds[type],
                                "kind from the UDP length " + std::to_string(n) + " only");
    e.wg_type = type;
    if (type == 4) e.wg_keepalive = keepalive;
    ++length_only_messages_;
  }

  void tcp(const TcpdumpPacket& p, const Origin& origin) {
    ++counts_.segments;
    Segment s;
    s.origin = origin;
    s.source = endpoint(p.source, p.source_port);
    s.destination = endpoint(p.destination, p.destination_port);
    s.syn = p.tcp.syn, s.fin = p.tcp.fin, s.rst = p.tcp.rst, s.psh = p.tcp.psh, s.ack_flag = p.tcp.ack_flag;
    // No payload: the dissector places a FIN after the data by its sequence
    // number, so a FIN's is the end of the bytes tcpdump counted.
    s.seq = p.tcp.fin ? p.tcp.seq + p.tcp.length : p.tcp.seq;
    s.ack = p.tcp.ack;
    tcp_.segment(s);
  }

  void icmp(const TcpdumpPacket& p, const Origin& origin) {
    ++counts_.icmp;
    const TcpdumpIcmp& m = p.icmp;
    std::string kind, detail;
    if (!icmp_error_kind(m.v6, m.type, m.code, kind, detail)) return;
    if (m.quoted_destination) {
      // The packet answered came from the error's destination.
      std::string quote = (m.quoted_protocol.empty() ? std::string(m.v6 ? "ipv6" : "ip") : m.quoted_protocol) + " " +
                          p.destination.to_string() + " -> " +
                          (m.quoted_port ? Endpoint(*m.quoted_destination, *m.quoted_port).to_string()
                                         : m.quoted_destination->to_string());
      detail += (detail.empty() ? "" : ": ") + quote;
    }
    out_.add(origin, p.source.to_string(), p.destination.to_string(), "icmp", kind, std::move(detail));
  }

  DissectorOutput& out_;
  TimelineCounts& counts_;
  const TimelineOptions& options_;
  std::string name_;
  std::size_t capture_;
  std::int64_t day_;
  std::optional<std::int64_t> last_time_of_day_;
  std::uint64_t packet_lines_ = 0;
  std::uint64_t timed_lines_ = 0;  // lines that begin with a time, read or not
  std::uint64_t length_only_messages_ = 0;
  // Initiations seen by length only, (initiator, responder), not yet answered.
  std::map<std::pair<Endpoint, Endpoint>, bool> unanswered_;
  WireGuardDissector wireguard_;
  TcpDissector tcp_;
};

}  // namespace

bool is_text_trace(const std::string& path) {
  if (path == "-") return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  unsigned char head[4096];
  in.read(reinterpret_cast<char*>(head), sizeof head);
  const std::size_t n = std::size_t(in.gcount());
  if (n == 0 || (n >= 4 && capture_magic(head))) return false;
  return std::none_of(head, head + n, [](unsigned char c) {
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') || c == 0x7f;
  });
}

Result<void> add_text_trace_text(Timeline& timeline, std::string_view text, const std::string& name,
                                 std::size_t capture, const TimelineOptions& options) {
  DissectorOutput out;
  out.events = std::move(timeline.events);
  TextTraceReader reader(out, timeline.counts, options, name, capture);
  std::uint64_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    reader.line(text.substr(0, end), ++number);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  reader.finish();
  timeline.events = std::move(out.events);
  timeline.link_types.push_back(kTextTraceLinkType);
  append_problems(timeline, std::move(out.problems), out.problems_dropped);
  // Not one line that begins with a time: this is no trace at all (an
  // events.csv, a config), and saying so beats an empty table.
  if (!reader.any_timed_line())
    return Error(ErrorCode::invalid_argument,
                 name + ": neither a capture (no pcap or pcapng magic number) nor a tcpdump text trace (no line "
                        "begins with a time)");
  return {};
}

Result<void> add_text_trace(Timeline& timeline, const std::string& path, std::size_t capture,
                            const TimelineOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::io, path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error(ErrorCode::io, path + ": read failed");
  return add_text_trace_text(timeline, text.str(), path, capture, options);
}

}  // namespace tether::pcap
