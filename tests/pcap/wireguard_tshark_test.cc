// Wireshark as the independent judge: the same traffic (impl/tunnel's
// devices, in memory) written to a pcap with libpcap's own writer
// (pcap_open_dead + pcap_dump, raw IPv4 frames), read by tshark. Our
// events must equal tshark's wg fields row by row, and decryption with
// the same key log (`-o wg.keylog_file:F`) must give the same inner
// packets.

#include <pcap/pcap.h>

#include <boost/test/unit_test.hpp>

#include <map>

#include "pcap/tshark_fields.h"
#include "pcap/wireguard_dissector.h"
#include "pcap/wireguard_traffic.h"
#include "support/run_process.h"
#include "support/test_skip.h"
#include "tunnel/inner_packet.h"
#include "tunnel/print_optional.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;

namespace {

// One IPv4/UDP frame around a datagram (checksums zero: tshark does not
// check them unless asked; a zero UDP checksum means none in IPv4).
Bytes ipv4_udp_frame(const Endpoint& from, const Endpoint& to, ByteView payload) {
  Bytes f(28, 0);
  f[0] = 0x45;
  store_be16(&f[2], std::uint16_t(28 + payload.size()));
  f[8] = 64;
  f[9] = 17;
  std::copy(from.address().bytes(), from.address().bytes() + 4, &f[12]);
  std::copy(to.address().bytes(), to.address().bytes() + 4, &f[16]);
  store_be16(&f[20], from.port());
  store_be16(&f[22], to.port());
  store_be16(&f[24], std::uint16_t(8 + payload.size()));
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

void write_pcap(const std::string& path, const std::vector<Datagram>& datagrams) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(DLT_RAW, 65535, PCAP_TSTAMP_PRECISION_NANO);
  BOOST_TEST_REQUIRE(dead != nullptr);
  pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
  BOOST_TEST_REQUIRE(dumper != nullptr, pcap_geterr(dead));
  for (const Datagram& d : datagrams) {
    const Bytes frame = ipv4_udp_frame(d.source, d.destination, d.payload);
    pcap_pkthdr header{};
    header.ts.tv_sec = d.origin.at.unix_ns() / 1000'000'000;
    header.ts.tv_usec = d.origin.at.unix_ns() % 1000'000'000;  // nanoseconds at this precision
    header.caplen = header.len = bpf_u_int32(frame.size());
    pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
}

struct TsharkFixture {
  TsharkFixture() : dir("pcap-wg") {
    if (!tether::testing::program_exists("tshark"))
      tether::testing::skip("tshark (Debian package tshark) is not installed: the dissector was not compared with it");
  }
  tether::testing::TestDirectory dir;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(wireguard_against_tshark)

BOOST_FIXTURE_TEST_CASE(every_row_equals_tsharks_wg_fields, TsharkFixture) {
  if (!tether::testing::program_exists("tshark")) return;
  TrafficOptions options;
  options.lost_initiations = 1;                     // a lost attempt and the answered one,
  options.keepalives_for = Duration::seconds(150);  // then a rekey: three streams
  const Traffic traffic = make_traffic(options);
  const auto datagrams = traffic.datagrams("wg.pcap");
  const std::string path = (dir / "wg.pcap").string();
  write_pcap(path, datagrams);

  WireGuardDissector dissector;
  std::vector<TimelineEvent> events;
  for (const Datagram& d : datagrams) BOOST_TEST(dissector.dissect(d, events));

  BOOST_TEST(expect_wireguard_rows_equal(path, {}, events) == datagrams.size());
  BOOST_TEST(dissector.sessions().all().size() == 3u);
}

// Decrypts `traffic` with `key_log_lines`, as we do and as tshark does.
void compare_decryption(const tether::testing::TestDirectory& dir, const Traffic& traffic,
                        const std::vector<std::string>& key_log_lines) {
  const auto datagrams = traffic.datagrams("wg.pcap");
  const std::string path = (dir / "wg.pcap").string();
  const std::string key_log = (dir / "keys.log").string();
  write_pcap(path, datagrams);
  tether::testing::write_file(key_log, joined_lines(key_log_lines));

  auto keys = WireGuardKeyLog::read_file(key_log);
  BOOST_TEST_REQUIRE(keys.ok());
  BOOST_TEST(keys->problems().empty());
  WireGuardDissector dissector({}, std::make_shared<WireGuardKeyLog>(std::move(*keys)));
  // Frame number -> the inner packet's fields as tshark prints them.
  std::map<std::uint64_t, std::vector<std::string>> inner;
  dissector.on_inner_packet([&](const WireGuardInnerPacket& p) {
    auto parsed = tunnel::parse_inner_packet(p.packet);
    BOOST_TEST_REQUIRE(parsed.ok());
    inner[p.outer.origin.packet_number] = {parsed->source.to_string(), parsed->destination.to_string(),
                                           std::to_string(parsed->length), std::to_string(*parsed->protocol),
                                           std::to_string(load_be16(p.packet.data() + 20 + 6))};  // ICMP echo sequence
  });
  std::vector<TimelineEvent> events;
  for (const Datagram& d : datagrams) dissector.dissect(d, events);
  BOOST_TEST(inner.size() == 11u);

  const auto rows = tshark_rows(path, {"-o", "wg.keylog_file:" + key_log},
                                {"frame.number", "ip.src", "ip.dst", "ip.len", "ip.proto", "icmp.seq"});
  BOOST_TEST_REQUIRE(rows.size() == datagrams.size());
  std::size_t decrypted_by_tshark = 0;
  for (const auto& row : rows) {
    const std::uint64_t frame = std::stoull(row[0]);
    auto second = [&](std::size_t field) {
      const std::string& cell = row[field];
      const auto comma = cell.find(',');
      return comma == std::string::npos ? std::string() : cell.substr(comma + 1);
    };
    BOOST_TEST_CONTEXT("frame " << frame) {
      auto it = inner.find(frame);
      if (second(1).empty()) {
        BOOST_TEST((it == inner.end()), "we decrypted a packet tshark did not");
        continue;
      }
      ++decrypted_by_tshark;
      BOOST_TEST_REQUIRE((it != inner.end()), "tshark decrypted a packet we did not");
      BOOST_TEST(second(1) == it->second[0]);
      BOOST_TEST(second(2) == it->second[1]);
      BOOST_TEST(second(3) == it->second[2]);
      BOOST_TEST(second(4) == it->second[3]);
      BOOST_TEST(row[5] == it->second[4]);  // the outer packet has no ICMP
    }
  }
  BOOST_TEST(decrypted_by_tshark == inner.size());
}

BOOST_FIXTURE_TEST_CASE(decryption_gives_tsharks_inner_packets, TsharkFixture) {
  if (!tether::testing::program_exists("tshark")) return;
  const Traffic traffic = make_traffic();
  BOOST_TEST_CONTEXT("the initiator's key log") { compare_decryption(dir, traffic, traffic.a_key_log); }
  BOOST_TEST_CONTEXT("the responder's key log") { compare_decryption(dir, traffic, traffic.b_key_log); }
}

BOOST_AUTO_TEST_SUITE_END()
