// Reading capture files through libpcap: files tether's writer makes for
// every link type, files real tools make (text2pcap, tshark's pcapng), held
// against what tshark reads in them, and broken files.

#include <pcap/dlt.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pcap/capture_file.h"
#include "pcap/frames.h"
#include "pcap/pcap_writer.h"
#include "pcap/read_capture.h"
#include "support/preconditions.h"
#include "support/run_process.h"

namespace tether::pcap {
namespace {

using namespace testing;
using tether::testing::program_exists;
using tether::testing::run_process;
using tether::testing::skip_unless;
using tether::testing::TestDirectory;

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

boost::test_tools::assertion_result needs_tshark(boost::unit_test::test_unit_id) {
  return skip_unless(program_exists("tshark"), "needs tshark (Debian package tshark)");
}
boost::test_tools::assertion_result needs_text2pcap_and_tshark(boost::unit_test::test_unit_id) {
  return skip_unless(program_exists("text2pcap") && program_exists("tshark"),
                     "needs text2pcap and tshark (Debian packages wireshark-common, tshark)");
}

void write_records(const std::string& path, int link_type, const std::vector<Bytes>& frames,
                   std::int64_t first_ns = 1'700'000'000'123'456'789, std::uint32_t snaplen = 262144) {
  auto writer = PcapWriter::create(path, link_type, snaplen);
  BOOST_TEST_REQUIRE(writer.ok(), why(writer));
  for (std::size_t i = 0; i < frames.size(); ++i) {
    (*writer)->write(WallTime::from_unix_ns(first_ns + static_cast<std::int64_t>(i) * 1001), frames[i]);
  }
  auto closed = (*writer)->close();
  BOOST_TEST_REQUIRE(closed.ok(), why(closed));
}

Seen read_all(const std::string& path, ReadSummary* summary = nullptr) {
  CollectingVisitor v;
  auto read = read_capture(path, 0, v);
  BOOST_TEST_REQUIRE(read.ok(), why(read));
  if (summary != nullptr) *summary = *read;
  return v.seen;
}

BOOST_AUTO_TEST_SUITE(reader)

BOOST_AUTO_TEST_CASE(every_link_type_round_trips_through_the_writer) {
  TestDirectory dir("tether-pcap-links");
  Bytes p4 = ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(40001, 51820, text("four")));
  Bytes p6 = ipv6(v6("fd00::1"), v6("fd00::2"), 17, udp(40001, 51820, text("six")));
  struct Case {
    const char* name;
    int link_type;
    Bytes frame4, frame6;
  };
  std::vector<Case> cases = {
      {"ethernet", DLT_EN10MB, ethernet(p4), ethernet(p6)},
      {"vlan", DLT_EN10MB, ethernet(p4, {0x8100}), ethernet(p6, {0x88a8, 0x8100})},
      {"sll", DLT_LINUX_SLL, linux_sll(p4), linux_sll(p6)},
      {"sll2", DLT_LINUX_SLL2, linux_sll2(p4), linux_sll2(p6)},
      {"raw", DLT_RAW, p4, p6},
      {"ipv4-ipv6", DLT_IPV4, p4, p4},
      {"ppp-ns3", DLT_PPP, ppp(p4, false), ppp(p6, false)},  // what ns-3's PppHeader writes
      {"ppp-hdlc", DLT_PPP, ppp(p4, true), ppp(p6, true)},
      {"null", DLT_NULL, bsd_null(p4, 2, false), bsd_null(p6, 10, false)},
      {"loop", DLT_LOOP, bsd_null(p4, 2, true), bsd_null(p6, 24, true)},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      std::string path = (dir / (std::string(c.name) + ".pcap")).string();
      write_records(path, c.link_type, {c.frame4, c.frame6});
      ReadSummary summary;
      Seen seen = read_all(path, &summary);
      BOOST_TEST(summary.link_type == c.link_type);
      BOOST_TEST(summary.records == 2u);
      BOOST_TEST_REQUIRE(seen.datagrams.size() == 2u, seen.errors_text());
      BOOST_TEST(seen.errors.empty(), seen.errors_text());
      const Datagram& first = seen.datagrams[0];
      BOOST_TEST(first.origin.packet_number == 1u);
      BOOST_TEST(first.origin.capture_name == path);
      BOOST_TEST(first.origin.at.unix_ns() == 1'700'000'000'123'456'789);
      BOOST_TEST(first.source.to_string() == "10.0.0.1:40001");
      BOOST_TEST(seen.datagram_payloads[0] == text("four"));
      BOOST_TEST(seen.datagrams[1].origin.packet_number == 2u);
      BOOST_TEST(seen.datagrams[1].origin.at.unix_ns() == 1'700'000'000'123'457'790);
    }
  }
  // DLT_IPV6 on its own (the IPv4 one above carried two IPv4 packets).
  std::string path = (dir / "ipv6.pcap").string();
  write_records(path, DLT_IPV6, {p6});
  Seen seen = read_all(path);
  BOOST_TEST_REQUIRE(seen.datagrams.size() == 1u, seen.errors_text());
  BOOST_TEST(seen.datagrams[0].destination.to_string() == "[fd00::2]:51820");
}

// tshark's fields for every UDP packet: number, epoch time, ports, payload length.
std::vector<std::string> tshark_udp_rows(const std::string& path) {
  auto r = run_process({"tshark", "-r", path, "-Y", "udp", "-T", "fields", "-E", "separator=,", "-e", "frame.number",
                        "-e", "frame.time_epoch", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.length"});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  std::vector<std::string> rows;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  return rows;
}

std::vector<std::string> our_udp_rows(const Seen& seen) {
  std::vector<std::string> rows;
  for (std::size_t i = 0; i < seen.datagrams.size(); ++i) {
    const Datagram& d = seen.datagrams[i];
    char when[40];
    std::snprintf(when, sizeof when, "%lld.%09lld", static_cast<long long>(d.origin.at.unix_ns() / 1000'000'000),
                  static_cast<long long>(d.origin.at.unix_ns() % 1000'000'000));
    rows.push_back(std::to_string(d.origin.packet_number) + "," + when + "," + std::to_string(d.source.port()) + "," +
                   std::to_string(d.destination.port()) + "," + std::to_string(8 + seen.datagram_payloads[i].size()));
  }
  return rows;
}

BOOST_AUTO_TEST_CASE(tshark_reads_the_writers_file_as_we_do, *boost::unit_test::precondition(needs_tshark)) {
  TestDirectory dir("tether-pcap-tshark");
  std::string path = (dir / "ours.pcap").string();
  std::vector<Bytes> frames;
  for (int i = 0; i < 4; ++i) {
    frames.push_back(ethernet(ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17,
                                   udp(static_cast<std::uint16_t>(5000 + i), 51820, Bytes(10 + i, 1)))));
  }
  write_records(path, DLT_EN10MB, frames);
  BOOST_TEST(tshark_udp_rows(path) == our_udp_rows(read_all(path)), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pcapng_converted_by_tshark_reads_the_same, *boost::unit_test::precondition(needs_tshark)) {
  TestDirectory dir("tether-pcap-pcapng");
  std::string pcap = (dir / "in.pcap").string(), pcapng = (dir / "out.pcapng").string();
  std::vector<Bytes> frames;
  for (int i = 0; i < 3; ++i) {
    frames.push_back(linux_sll2(ipv6(v6("fd00::1"), v6("fd00::2"), 17, udp(51820, 51820, Bytes(32 * (i + 1), 7)))));
  }
  write_records(pcap, DLT_LINUX_SLL2, frames);
  auto converted = run_process({"tshark", "-r", pcap, "-F", "pcapng", "-w", pcapng});
  BOOST_TEST_REQUIRE(converted.exit_code == 0, converted.describe());
  std::string head = tether::testing::read_file(pcapng).substr(0, 4);
  BOOST_TEST_REQUIRE(head == std::string("\x0a\x0d\x0d\x0a", 4));  // a section header block
  Seen seen = read_all(pcapng);
  BOOST_TEST(seen.errors.empty(), seen.errors_text());
  BOOST_TEST_REQUIRE(seen.datagrams.size() == 3u);
  BOOST_TEST(seen.datagrams[2].origin.at.unix_ns() == 1'700'000'000'123'458'791);
  BOOST_TEST(tshark_udp_rows(pcapng) == our_udp_rows(seen), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(text2pcap_files_pcap_and_pcapng, *boost::unit_test::precondition(needs_text2pcap_and_tshark)) {
  TestDirectory dir("tether-pcap-text2pcap");
  // Two payloads in od/hexdump form; text2pcap puts dummy Ethernet, IPv4
  // and UDP headers before them.
  std::string hex = "000000 01 00 00 00 aa bb cc dd\n\n000000 04 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n";
  tether::testing::write_file(dir / "in.txt", hex);
  for (const char* format : {"pcap", "pcapng"}) {
    BOOST_TEST_CONTEXT(format) {
      std::string out = (dir / (std::string("t2p.") + format)).string();
      auto made = run_process({"text2pcap", "-F", format, "-4", "192.0.2.1,192.0.2.2", "-u", "40000,51820",
                               (dir / "in.txt").string(), out});
      BOOST_TEST_REQUIRE(made.exit_code == 0, made.describe());
      Seen seen = read_all(out);
      BOOST_TEST(seen.errors.empty(), seen.errors_text());
      BOOST_TEST_REQUIRE(seen.datagrams.size() == 2u);
      BOOST_TEST(seen.datagrams[0].source.to_string() == "192.0.2.1:40000");
      BOOST_TEST(seen.datagram_payloads[0] == (Bytes{1, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd}));
      BOOST_TEST(tshark_udp_rows(out) == our_udp_rows(seen), boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(fragments_reassemble_where_tshark_does, *boost::unit_test::precondition(needs_tshark)) {
  TestDirectory dir("tether-pcap-fragments");
  std::string path = (dir / "fragments.pcap").string();
  auto a = ipv4_fragments(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(4000, 51820, Bytes(3000, 1)), 0x100, 1480);
  auto b = ipv4_fragments(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(4001, 51820, Bytes(2000, 2)), 0x101, 1480);
  auto c = ipv6_fragments(v6("fd00::1"), v6("fd00::2"), udp(4002, 51820, Bytes(2600, 3)), 17, 0xabcdef, 1232);
  // Interleaved and out of order.
  std::vector<Bytes> frames;
  for (const Bytes* f : {&a[1], &b[0], &c[2], &a[0], &c[0], &b[1], &a[2], &c[1]}) frames.push_back(ethernet(*f));
  frames.push_back(ethernet(ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(4003, 51820, Bytes(5, 4)))));
  write_records(path, DLT_EN10MB, frames);
  Seen seen = read_all(path);
  BOOST_TEST(seen.errors.empty(), seen.errors_text());
  BOOST_TEST_REQUIRE(seen.datagrams.size() == 4u);
  BOOST_TEST(seen.datagrams[0].origin.packet_number == 6u);  // b, completed by its second fragment
  BOOST_TEST(tshark_udp_rows(path) == our_udp_rows(seen), boost::test_tools::per_element());
}

// --- bad input: each names the file (and the packet), keeps what was read

std::string open_error(const std::string& path) {
  CollectingVisitor v;
  auto read = read_capture(path, 0, v);
  BOOST_TEST_REQUIRE(!read.ok());
  return read.error().message;
}

BOOST_AUTO_TEST_CASE(a_zero_length_file) {
  TestDirectory dir("tether-pcap-bad");
  std::string path = (dir / "empty.pcap").string();
  tether::testing::write_file(path, "");
  BOOST_TEST(open_error(path) == path + ": empty file (0 bytes), not a pcap or pcapng capture");
}

BOOST_AUTO_TEST_CASE(a_missing_file) {
  BOOST_TEST(open_error("/nonexistent/x.pcap") == "/nonexistent/x.pcap: No such file or directory");
}

BOOST_AUTO_TEST_CASE(a_wrong_magic_number) {
  TestDirectory dir("tether-pcap-bad");
  std::string path = (dir / "magic.pcap").string();
  tether::testing::write_file(path, std::string("\x12\x34\x56\x78", 4) + std::string(40, '\0'));
  std::string message = open_error(path);
  BOOST_TEST(message.find(path + ": not a readable capture: ") == 0u, message);
  BOOST_TEST(message.find("unknown file format") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(a_file_cut_inside_its_header) {
  TestDirectory dir("tether-pcap-bad");
  std::string whole = (dir / "whole.pcap").string(), cut = (dir / "cut.pcap").string();
  write_records(whole, DLT_RAW, {ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, text("x")))});
  tether::testing::write_file(cut, tether::testing::read_file(whole).substr(0, 10));
  std::string message = open_error(cut);
  BOOST_TEST(message.find(cut + ": not a readable capture: ") == 0u, message);
  BOOST_TEST(message.find("truncated") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(a_last_record_cut_keeps_the_ones_before) {
  TestDirectory dir("tether-pcap-bad");
  std::string whole = (dir / "whole.pcap").string(), cut = (dir / "cut.pcap").string();
  std::vector<Bytes> frames;
  for (int i = 0; i < 3; ++i) frames.push_back(ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 2, Bytes(20, 0))));
  write_records(whole, DLT_RAW, frames);
  std::string bytes = tether::testing::read_file(whole);
  for (std::size_t chop : {5u, 40u}) {  // inside the last record's data, inside its header
    BOOST_TEST_CONTEXT("chop " << chop) {
      tether::testing::write_file(cut, bytes.substr(0, bytes.size() - chop));
      ReadSummary summary;
      Seen seen = read_all(cut, &summary);
      BOOST_TEST(seen.datagrams.size() == 2u);
      BOOST_TEST(summary.records == 2u);
      BOOST_TEST_REQUIRE(seen.errors.size() == 1u, seen.errors_text());
      std::string message = seen.errors[0].to_string();
      BOOST_TEST(message.find(cut + ": packet 3: truncated dump file") == 0u, message);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_link_type) {
  TestDirectory dir("tether-pcap-bad");
  std::string path = (dir / "user0.pcap").string();
  write_records(path, DLT_USER0, {text("anything")});
  BOOST_TEST(open_error(path) == path + ": link type DLT 147 is not one tether reads (Ethernet, Linux cooked "
                                        "SLL/SLL2, raw IP, PPP, NULL/LOOP)");
}

BOOST_AUTO_TEST_CASE(a_snaplen_shorter_than_the_headers) {
  TestDirectory dir("tether-pcap-bad");
  std::string path = (dir / "snap.pcap").string();
  // tcpdump -s 40 on Ethernet: the IPv4 header whole, 6 bytes of UDP's.
  Bytes frame = ethernet(ipv4(v4("10.0.0.1"), v4("10.0.0.2"), 17, udp(1, 51820, Bytes(148, 1))));
  write_records(path, DLT_EN10MB, {frame, frame}, 1'700'000'000'000'000'000, 40);
  Seen seen = read_all(path);
  BOOST_TEST(seen.datagrams.empty());
  BOOST_TEST_REQUIRE(seen.errors.size() == 2u, seen.errors_text());
  BOOST_TEST(seen.errors[1].to_string() ==
             path + ": packet 2: the capture's snaplen cut the UDP header: 6 of 8 bytes captured");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
