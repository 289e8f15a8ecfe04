// Real Linux tcpdump text (Debian's tcpdump 4.99) held against the capture
// it was printed from: the capture is made here (WireGuard from the
// project's own tunnel core, with lost initiations retried and keepalives;
// TCP connections over IPv4 and IPv6, one never answered and reset; ICMP
// and ICMPv6 port unreachables), crossing midnight; `tcpdump -n -r` and
// `tcpdump -n -tttt -r` print it; the text's timeline must have the
// capture's WireGuard and TCP events, packet for packet, at the microsecond
// tcpdump prints.
//
// Linux tcpdump has no WireGuard printer: it prints "UDP, length N", so on
// the --wg-port the kinds come from the lengths; the indexes, counters and
// sessions it does not print are not compared (text_trace.h).

#include <boost/test/unit_test.hpp>
#include <pcap/dlt.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "pcap/frames.h"
#include "pcap/pcap_writer.h"
#include "pcap/tcp_flow.h"
#include "pcap/text_trace.h"
#include "pcap/wireguard_traffic.h"
#include "support/run_process.h"
#include "support/test_skip.h"

namespace tether::pcap {
namespace {

using namespace testing;
using tether::testing::run_process;
using tether::testing::TestDirectory;

// The capture starts 20 s before midnight UTC, so that a time of day goes
// back from 23:59:5x to 00:00:xx in the text.
const WallTime kStart = WallTime::from_unix_seconds(days_from_civil(2026, 12, 6) * 86400 + 86400 - 20);

struct Record {
  WallTime at;
  Bytes frame;
};

Bytes ip(const IpAddress& from, const IpAddress& to, std::uint8_t protocol, ByteView payload) {
  return from.is_v4() ? ipv4(from, to, protocol, payload) : ipv6(from, to, protocol, payload);
}

Bytes tcp_frame(const Segment& s) {
  const std::uint8_t flags = std::uint8_t((s.fin ? 0x01 : 0) | (s.syn ? 0x02 : 0) | (s.rst ? 0x04 : 0) |
                                          (s.psh ? 0x08 : 0) | (s.ack_flag ? 0x10 : 0));
  return ethernet(ip(s.source.address(), s.destination.address(), 6,
                     tcp(s.source.port(), s.destination.port(), s.seq, s.ack, flags, 65535, s.payload)));
}

struct Chunk {
  bool from_client;
  Bytes bytes;
};

// The WireGuard traffic at its own pace, then the TCP connections and the
// ICMP errors a millisecond apart.
std::vector<Record> make_records(std::uint16_t& wg_port) {
  TrafficOptions options;
  options.lost_initiations = 2;
  options.keepalives_for = Duration::seconds(25);
  const Traffic traffic = make_traffic(options);
  wg_port = traffic.b.port();
  std::vector<Record> records;
  for (const CapturedDatagram& p : traffic.packets)
    records.push_back({kStart + (p.time - traffic.t0),
                       ethernet(ip(p.from.address(), p.to.address(), 17, udp(p.from.port(), p.to.port(), p.bytes)))});
  WallTime at = records.back().at + Duration::seconds(1);
  auto add = [&](Bytes frame) {
    records.push_back({at, std::move(frame)});
    at = at + Duration::milliseconds(1);
  };

  TcpFlow smtp(*Endpoint::parse("198.18.0.10:40001"), *Endpoint::parse("203.0.113.10:25"), 3000000000u, 7);
  const std::vector<Chunk> chunks = {{false, Bytes(35, 'a')}, {true, Bytes(27, 'b')}, {false, Bytes(175, 'c')}};
  for (const Segment& s : smtp.connection(chunks)) add(tcp_frame(s));
  TcpFlow refused(*Endpoint::parse("198.18.0.10:40002"), *Endpoint::parse("203.0.113.10:25"), 12345, 0);
  for (const Segment& s : {refused.syn(), refused.syn(), refused.rst(false)}) add(tcp_frame(s));
  TcpFlow flow6(*Endpoint::parse("[2001:db8::1]:40003"), *Endpoint::parse("[2001:db8::2]:587"), 99, 4000000000u);
  for (const Segment& s : {flow6.syn(), flow6.syn_ack(), flow6.ack(true), flow6.rst(true)}) add(tcp_frame(s));

  const IpAddress home = v4("198.18.0.10"), vm = v4("203.0.113.10");
  add(ethernet(ipv4(vm, home, 1, icmp(3, 3, ipv4(home, vm, 17, udp(40000, 51820, Bytes(8, 0)))))));
  const IpAddress home6 = v6("2001:db8:dd::dd"), vm6 = v6("2001:db8:1234:1234::c155");
  add(ethernet(ipv6(vm6, home6, 58, icmp(1, 4, ipv6(home6, vm6, 17, udp(6900, 6900, Bytes(148, 0)))))));
  return records;
}

struct Row {
  std::uint64_t packet;
  std::int64_t us;
  std::string source, destination, protocol, kind, tcp_flags, detail;
  std::optional<int> wg_type;
  std::optional<bool> wg_keepalive;
  bool operator==(const Row& o) const {
    return packet == o.packet && us == o.us && source == o.source && destination == o.destination &&
           protocol == o.protocol && kind == o.kind && tcp_flags == o.tcp_flags && detail == o.detail &&
           wg_type == o.wg_type && wg_keepalive == o.wg_keepalive;
  }
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << "#" << r.packet << " " << r.us << " " << r.source << " > " << r.destination << " " << r.protocol << " "
            << r.kind << " type " << r.wg_type.value_or(0) << " keepalive " << r.wg_keepalive.value_or(false)
            << " flags " << r.tcp_flags << " '" << r.detail << "'";
}

// The WireGuard and TCP events, as far as tcpdump's text can say them.
std::vector<Row> rows(const Timeline& t) {
  std::vector<Row> out;
  for (const TimelineEvent& e : t.events) {
    if (e.protocol != "wg" && e.protocol != "tcp") continue;
    Row r{e.packet_number, e.at.unix_ns() / 1000, e.source, e.destination, e.protocol, e.kind, e.tcp_flags,
          e.protocol == "tcp" ? e.detail : std::string(), e.wg_type, e.wg_keepalive};
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> details(const Timeline& t, const std::string& protocol) {
  std::vector<std::string> out;
  for (const TimelineEvent& e : t.events)
    if (e.protocol == protocol) out.push_back(e.kind + " " + e.detail);
  return out;
}

std::string problems(const Timeline& t) {
  std::string out;
  for (const std::string& p : t.problems) out += p + "\n";
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(text_trace_linux_tcpdump)

BOOST_AUTO_TEST_CASE(text_timeline_equals_the_captures) {
  if (!tether::testing::program_exists("tcpdump")) {
    tether::testing::skip("tcpdump (Debian package tcpdump) is not installed: its text was not read");
    return;
  }
  TestDirectory dir("pcap-text");
  std::uint16_t wg_port = 0;
  const std::vector<Record> records = make_records(wg_port);
  const std::string pcap_path = (dir / "wire.pcap").string();
  {
    auto writer = PcapWriter::create(pcap_path, DLT_EN10MB);
    BOOST_TEST_REQUIRE(writer.ok(), why(writer));
    for (const Record& r : records) (*writer)->write(r.at, r.frame);
    auto closed = (*writer)->close();
    BOOST_TEST_REQUIRE(closed.ok());
  }
  TimelineOptions options;
  options.wireguard.ports = {wg_port};
  auto capture = build_timeline({pcap_path}, options);
  BOOST_TEST_REQUIRE(capture.ok(), why(capture));
  const std::vector<Row> expected = rows(*capture);
  BOOST_TEST_REQUIRE(expected.size() > 25u);
  const std::int64_t midnight_us = days_from_civil(2026, 12, 7) * 86400 * 1000'000LL;
  BOOST_TEST((expected.front().us < midnight_us && expected.back().us > midnight_us));
  const auto initiations = std::count_if(expected.begin(), expected.end(), [](const Row& r) { return r.kind == "initiation"; });
  BOOST_TEST(initiations == 3);  // two lost, one answered
  options.text_date = {2026, 12, 6};

  for (const std::vector<std::string>& flags : {std::vector<std::string>{"-n"}, {"-n", "-tttt"}}) {
    BOOST_TEST_CONTEXT("tcpdump " << flags.back()) {
      std::vector<std::string> argv = {"env", "TZ=UTC", "tcpdump"};
      argv.insert(argv.end(), flags.begin(), flags.end());
      argv.insert(argv.end(), {"-r", pcap_path});
      const auto printed = run_process(argv);
      BOOST_TEST_REQUIRE(printed.exit_code == 0, printed.describe());
      const std::string text_path = (dir / ("trace" + flags.back() + ".txt")).string();
      tether::testing::write_file(text_path, printed.out);
      BOOST_TEST_REQUIRE(is_text_trace(text_path));

      auto text = build_timeline({text_path}, options);
      BOOST_TEST_REQUIRE(text.ok(), why(text));
      BOOST_TEST(text->problems.empty(), problems(*text));
      BOOST_TEST(text->counts.records == records.size());
      const std::vector<Row> got = rows(*text);
      BOOST_TEST(got == expected, boost::test_tools::per_element());

      // The ICMP errors: the capture's detail, less the quoted source port
      // that tcpdump does not print.
      const std::vector<std::string> icmp = {
          "unreachable port: udp 198.18.0.10 -> 203.0.113.10:51820",
          "unreachable port: udp 2001:db8:dd::dd -> [2001:db8:1234:1234::c155]:6900",
      };
      BOOST_TEST(details(*text, "icmp") == icmp, boost::test_tools::per_element());
      const std::vector<std::string> from_capture = {
          "unreachable port: udp 198.18.0.10:40000 -> 203.0.113.10:51820",
          "unreachable port: udp [2001:db8:dd::dd]:6900 -> [2001:db8:1234:1234::c155]:6900",
      };
      BOOST_TEST(details(*capture, "icmp") == from_capture, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace tether::pcap
