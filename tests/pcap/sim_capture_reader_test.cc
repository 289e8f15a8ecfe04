// The simulation's own captures (tether-sim --pcap: classic pcap, DLT_PPP,
// one file per link end) read by the pcap library, held row by row against
// what tshark reads in the same files: every UDP datagram and TCP segment,
// with its frame number, time, ports, sequence numbers and flags.

#include <boost/test/unit_test.hpp>
#include <pcap/dlt.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "pcap/frames.h"
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

boost::test_tools::assertion_result needs_tshark(boost::unit_test::test_unit_id) {
  return skip_unless(program_exists("tshark"), "needs tshark (Debian package tshark)");
}

std::string epoch(WallTime at) {
  char text[40];
  std::snprintf(text, sizeof text, "%lld.%09lld", static_cast<long long>(at.unix_ns() / 1000'000'000),
                static_cast<long long>(at.unix_ns() % 1000'000'000));
  return text;
}

std::vector<std::string> tshark_rows(const std::string& path, const char* filter, std::vector<std::string> fields) {
  std::vector<std::string> argv = {"tshark", "-r", path, "-Y", filter, "-T", "fields", "-E", "separator=,"};
  for (const std::string& f : fields) {
    argv.push_back("-e");
    argv.push_back(f);
  }
  auto r = run_process(argv);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  std::vector<std::string> rows;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  return rows;
}

BOOST_AUTO_TEST_SUITE(sim_capture_reader)

BOOST_AUTO_TEST_CASE(every_link_of_a_run_reads_as_tshark_reads_it, *boost::unit_test::precondition(needs_tshark)) {
  TestDirectory dir("tether-pcap-sim");
  // nat-expiry for 20 simulated minutes, 3 messages, keepalive 25 s:
  // handshakes, keepalives, SMTP with STARTTLS (as tests/sim/pcap_test.cc).
  auto run = run_process({TETHER_SIM_BINARY, std::string(TETHER_SOURCE_DIR) + "/scenarios/nat-expiry.yaml", "--pcap",
                          "--out", dir.path().string(), "--set", "duration=20m", "--set", "workload.count=3", "--set",
                          "workload.start=2m", "--set", "workload.interval=5m", "--set",
                          "hosts.carinho.persistent_keepalive=25"},
                         "", Duration::seconds(300));
  BOOST_TEST_REQUIRE(run.exit_code == 0, run.describe());
  std::size_t files = 0, datagrams = 0, segments = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "pcap")) {
    if (entry.path().extension() != ".pcap") continue;
    const std::string path = entry.path().string();
    BOOST_TEST_CONTEXT(entry.path().filename().string()) {
      CollectingVisitor v;
      auto read = read_capture(path, files, v);
      BOOST_TEST_REQUIRE(read.ok(), why(read));
      BOOST_TEST(read->link_type == DLT_PPP);
      BOOST_TEST(v.seen.errors.empty(), v.seen.errors_text());
      std::vector<std::string> udp_rows, tcp_rows;
      for (std::size_t i = 0; i < v.seen.datagrams.size(); ++i) {
        const Datagram& d = v.seen.datagrams[i];
        udp_rows.push_back(std::to_string(d.origin.packet_number) + "," + epoch(d.origin.at) + "," +
                           d.source.address().to_string() + "," + std::to_string(d.source.port()) + "," +
                           std::to_string(d.destination.port()) + "," + std::to_string(8 + v.seen.datagram_payloads[i].size()));
      }
      for (std::size_t i = 0; i < v.seen.segments.size(); ++i) {
        const Segment& s = v.seen.segments[i];
        unsigned flags = (s.fin ? 0x01 : 0) | (s.syn ? 0x02 : 0) | (s.rst ? 0x04 : 0) | (s.psh ? 0x08 : 0) |
                         (s.ack_flag ? 0x10 : 0);
        char hex[16];
        std::snprintf(hex, sizeof hex, "0x%04x", flags);
        tcp_rows.push_back(std::to_string(s.origin.packet_number) + "," + std::to_string(s.source.port()) + "," +
                           std::to_string(s.destination.port()) + "," + std::to_string(s.seq) + "," +
                           std::to_string(s.ack) + "," + hex + "," + std::to_string(s.window) + "," +
                           std::to_string(v.seen.segment_payloads[i].size()));
      }
      // ip.src for an IPv4 capture; the simulation's links carry IPv4.
      BOOST_TEST(tshark_rows(path, "udp && !icmp", {"frame.number", "frame.time_epoch", "ip.src", "udp.srcport",
                                                   "udp.dstport", "udp.length"}) == udp_rows,
                 boost::test_tools::per_element());
      BOOST_TEST(tshark_rows(path, "tcp && !icmp", {"frame.number", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
                                           "tcp.flags", "tcp.window_size_value", "tcp.len"}) == tcp_rows,
                 boost::test_tools::per_element());
      datagrams += v.seen.datagrams.size();
      segments += v.seen.segments.size();
      ++files;
    }
  }
  BOOST_TEST_MESSAGE(files << " captures, " << datagrams << " UDP datagrams, " << segments << " TCP segments");
  BOOST_TEST(files >= 10u);
  BOOST_TEST(datagrams > 0u);
  BOOST_TEST(segments > 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
