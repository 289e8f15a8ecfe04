// The timeline on captures of real WireGuard peers, held against tshark:
// tetherd (home) and wireguard-go (relay) in two network namespaces on a
// veth pair, captured on the relay's veth by dumpcap and by tether's own
// LiveCapture at once (two_captures.h). The traffic: tetherd's handshake,
// pings and an iperf3 TCP transfer through the tunnel over IPv4, then
// wireguard-go forgets tetherd and shakes hands again itself, over IPv6 (a
// second session, tetherd responding and following it to its new address,
// with tetherd's keepalives on the old session in between), and keepalives
// from both sides (PersistentKeepalive 1).
//
// For each of the two files, with the key log tetherd wrote (--key-log):
//  - the timeline's WireGuard events equal tshark's wg fields, row by row;
//  - the inner packets the dissector decrypts equal, byte for byte, those
//    tshark decrypts with `-o wg.keylog_file:`;
// and the two files give the same timeline. Once, the
// tether-pcap binary's CSV of a file is checked against the library's.
// A second case does the same under a flood of junk initiations, where
// tetherd answers with cookie replies.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "interop/interop_lab.h"
#include "pcap/decode.h"
#include "pcap/dissect_support.h"
#include "pcap/frames.h"
#include "pcap/read_capture.h"
#include "pcap/timeline.h"
#include "pcap/timeline_format.h"
#include "pcap/tshark_fields.h"
#include "pcap/two_captures.h"
#include "pcap/wireguard_dissector.h"
#include "support/network_namespace.h"
#include "support/preconditions.h"

using namespace tether;
using namespace tether::pcap;
using namespace tether::pcap::testing;
using namespace tether::testing::interop;
using tether::testing::ProcessResult;
using tether::testing::run_process;
using tether::testing::TestDirectory;

namespace {

const std::string kTetherPcap = TETHER_PCAP_BINARY;

boost::test_tools::assertion_result needs_peers_and_dumpcap(boost::unit_test::test_unit_id id) {
  auto peers = needs_wireguard_go_and_tshark(id);
  if (!peers) return peers;
  return tether::testing::skip_unless(
      tether::testing::program_exists("dumpcap"),
      "dumpcap (Debian package wireshark-common, which tshark pulls in) is not installed");
}

// home (tetherd) 198.18.0.1, 2001:db8:1::1 <-veth vh/vr-> relay
// (wireguard-go) 198.18.0.2, 2001:db8:1::2; inside the tunnel tetherd
// 192.0.2.1, wireguard-go 192.0.2.2.
struct WireGuardPeers {
  TestDirectory dir{"tether-pcap-peers-wg"};
  KeyPair tether_keys = KeyPair::generate(), wg_keys = KeyPair::generate();
  std::unique_ptr<tether::lab::LabWorld> world = home_and_relay(true);
  std::string home = world->namespace_of("home"), relay = world->namespace_of("relay");
  std::string key_log = (dir / "keys.log").string();
  // After the world, so that they end before its namespaces go.
  std::unique_ptr<TwoCaptures> captures;
  std::unique_ptr<WireguardGo> wg;
  std::unique_ptr<Tetherd> tetherd;

  WireGuardPeers() {
    // Probes go to home's port 9, where nothing listens: UDP, as the filter.
    captures = std::make_unique<TwoCaptures>(
        relay, dir, TwoCapturesOptions{"vr", "udp", *Endpoint::parse("198.18.0.1:9")});
  }

  std::string logs() {
    return "--- tetherd ---\n" + (tetherd ? tetherd->log() : "") + "--- wireguard-go ---\n" +
           (wg ? wg->log() : "");
  }

  // clang-format off
  // wireguard-go (ListenPort 51820) with `peer_extra` lines for tetherd.
  void start_wireguard_go(const std::string& peer_extra) {
    wg = std::make_unique<WireguardGo>(relay, dir);
    wg->configure("[Interface]\n"
                  "PrivateKey = " + wg_keys.private_key + "\n"
                  "ListenPort = 51820\n"
                  "\n[Peer]\n"
                  "PublicKey = " + tether_keys.public_key + "\n"
                  "AllowedIPs = 192.0.2.1/32\n" +
                  peer_extra,
                  {"192.0.2.2/24"});
  }
  // tetherd (ListenPort 51820, writing the key log) with `peer_extra` lines
  // for wireguard-go.
  void start_tetherd(const std::string& peer_extra) {
    tetherd = std::make_unique<Tetherd>(home, dir, "tthome",
                                        "[Interface]\n"
                                        "PrivateKey = " + tether_keys.private_key + "\n"
                                        "ListenPort = 51820\n"
                                        "Address = 192.0.2.1/24\n"
                                        "\n[Peer]\n"
                                        "PublicKey = " + wg_keys.public_key + "\n"
                                        "AllowedIPs = 192.0.2.2/32\n" +
                                        peer_extra,
                                        std::vector<std::string>{"--key-log", key_log});
  }
  // clang-format on

  // wireguard-go drops tetherd as a peer (its sessions with it) and takes it
  // back with an IPv6 endpoint: its next packet for tetherd starts a
  // handshake there.
  void wireguard_go_forgets_tetherd() {
    const std::string& name = wg->interface_name();
    ProcessResult removed = run_process({"wg", "set", name, "peer", tether_keys.public_key, "remove"});
    BOOST_TEST_REQUIRE(removed.exit_code == 0, removed.describe());
    ProcessResult added =
        run_process({"wg", "set", name, "peer", tether_keys.public_key, "allowed-ips", "192.0.2.1/32",
                     "endpoint", "[2001:db8:1::1]:51820", "persistent-keepalive", "1"});
    BOOST_TEST_REQUIRE(added.exit_code == 0, added.describe());
  }
};

// Junk initiations from inside `ns` to `to` (148 bytes, all zero but the
// type: a wrong mac1, sender index 0, from a port of their own), about 400
// a second until destroyed: more than tetherd's LoadDetector lets through
// (128 handshake messages a second), so that tetherd answers a real
// initiation with a cookie reply, as cookie_interop_test does it with a
// python flood. Many initiations with one sender index on one address pair
// also try the session tracking (tshark's wg.stream).
class HandshakeFlood {
 public:
  HandshakeFlood(const std::string& ns, const Endpoint& to) {
    auto inside = tether::testing::ThreadInNamespace::enter(ns);
    BOOST_TEST_REQUIRE(inside.ok(), why(inside));
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_TEST_REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(to.port());
    std::memcpy(&address.sin_addr, to.address().bytes(), 4);
    BOOST_TEST_REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    thread_ = std::thread([this] {
      Bytes junk(148, 0);
      junk[0] = 1;
      while (!stop_.load()) {
        for (int i = 0; i < 4; ++i) (void)::send(fd_, junk.data(), junk.size(), 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  ~HandshakeFlood() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  HandshakeFlood(const HandshakeFlood&) = delete;
  HandshakeFlood& operator=(const HandshakeFlood&) = delete;

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Frame number -> inner packet, as the dissector decrypts `file` with `keys`.
std::map<std::uint64_t, Bytes> decrypted_by_the_dissector(const std::string& file,
                                                          std::shared_ptr<const WireGuardKeyLog> keys) {
  struct Feed : PacketVisitor {
    explicit Feed(std::shared_ptr<const WireGuardKeyLog> k) : dissector({}, std::move(k)) {
      dissector.on_inner_packet([this](const WireGuardInnerPacket& p) {
        inner[p.outer.origin.packet_number] = p.packet.to_bytes();
      });
    }
    void on_datagram(const Datagram& d) override { dissector.dissect(d, events); }
    WireGuardDissector dissector;
    std::vector<TimelineEvent> events;
    std::map<std::uint64_t, Bytes> inner;
  } feed(std::move(keys));
  auto read = read_capture(file, 0, feed);
  BOOST_TEST_REQUIRE(read.ok(), why(read));
  return feed.inner;
}

// One line per packet, hex, for a readable difference.
std::string hex_lines(const std::map<std::uint64_t, Bytes>& packets) {
  std::ostringstream out;
  for (const auto& [frame, bytes] : packets) out << "frame " << frame << ": " << to_hex(bytes) << "\n";
  return out.str();
}

std::size_t count(const Timeline& timeline, const std::string& layer, const std::string& kind) {
  std::size_t n = 0;
  for (const TimelineEvent& e : timeline.events) n += e.layer == layer && e.kind == kind;
  return n;
}

// The timeline of one capture, held against tshark; returns it for the
// comparison of the two captures.
Timeline check_capture(const std::string& file, const std::string& key_log) {
  BOOST_TEST_MESSAGE("capture " << file);
  auto keys = WireGuardKeyLog::read_file(key_log);
  BOOST_TEST_REQUIRE(keys.ok(), why(keys));
  BOOST_TEST(keys->problems().empty());
  TimelineOptions options;
  options.keys = std::make_shared<const WireGuardKeyLog>(std::move(*keys));
  auto timeline = build_timeline({file}, options);
  BOOST_TEST_REQUIRE(timeline.ok(), why(timeline));
  BOOST_TEST(timeline->problems.empty(), joined(timeline->problems));

  BOOST_TEST(timeline->counts.wg_decryption_failed == 0u);

  const std::size_t rows =
      expect_wireguard_rows_equal(file, {"-o", "wg.keylog_file:" + key_log}, timeline->events);
  BOOST_TEST_MESSAGE("  " << rows << " WireGuard rows equal tshark's");

  const auto ours = decrypted_by_the_dissector(file, options.keys);
  const auto theirs = tshark_decrypted_packets(file, key_log);
  BOOST_TEST(ours.size() == timeline->counts.inner_packets);
  BOOST_TEST(!ours.empty());
  BOOST_TEST(hex_lines(ours) == hex_lines(theirs));
  BOOST_TEST_MESSAGE("  " << theirs.size() << " decrypted inner packets equal tshark's byte for byte");
  return std::move(*timeline);
}

// The first case's traffic: two handshakes (tetherd's over IPv4, then
// wireguard-go's over IPv6), data, keepalives, and inside, TCP.
void expect_two_handshakes_and_traffic(const Timeline& timeline) {
  std::vector<std::string> initiators;
  for (const TimelineEvent& e : timeline.events)
    if (e.kind == "initiation") initiators.push_back(e.source);
  BOOST_TEST(initiators == (std::vector<std::string>{"198.18.0.1:51820", "[2001:db8:1::2]:51820"}),
             boost::test_tools::per_element());
  BOOST_TEST(count(timeline, "", "response") == 2u);
  BOOST_TEST(count(timeline, "", "keepalive") >= 4u);
  BOOST_TEST(count(timeline, "", "data") >= 20u);
  BOOST_TEST(count(timeline, "wg", "syn") >= 1u);  // found in the decrypted packets
  BOOST_TEST(timeline.counts.inner_packets >= 20u);
}

// tether-pcap timeline FILE --keylog F: exit 0, the CSV header, a row per event.
void check_tether_pcap_csv(const std::string& file, const std::string& key_log, const Timeline& timeline) {
  ProcessResult r =
      run_process({kTetherPcap, "timeline", file, "--keylog", key_log}, "", Duration::seconds(60));
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  std::istringstream lines(r.out);
  std::string header;
  std::getline(lines, header);
  std::string columns;
  for (const std::string& c : kTimelineColumns) columns += (columns.empty() ? "" : ",") + c;
  BOOST_TEST(header == columns);
  std::size_t rows = 0, wg_rows = 0;
  for (std::string line; std::getline(lines, line); ++rows) wg_rows += line.find(",wg,") != std::string::npos;
  BOOST_TEST(rows == timeline.events.size());
  BOOST_TEST(wg_rows >= 20u);
  BOOST_TEST(r.out == timeline_text(timeline.events, TimelineFormat::csv));
  BOOST_TEST_MESSAGE("  tether-pcap timeline: " << rows << " CSV rows");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peer_wireguard_captures, *boost::unit_test::precondition(needs_peers_and_dumpcap) *
                                                   boost::unit_test::label("root"))

BOOST_AUTO_TEST_CASE(tetherd_and_wireguard_go_captured_twice_equal_tshark) {
  WireGuardPeers p;
  p.start_wireguard_go("PersistentKeepalive = 1\n");
  p.start_tetherd("Endpoint = 198.18.0.2:51820\nPersistentKeepalive = 1\n");
  ProcessResult pinged = ping(p.home, "192.0.2.2");
  BOOST_TEST_REQUIRE(pinged.exit_code == 0, pinged.describe() + p.logs());
  {
    IperfServer server(p.relay, "192.0.2.2");
    ProcessResult sent = iperf_client(p.home, "192.0.2.2", {"-n", "64K"});
    BOOST_TEST_REQUIRE(sent.exit_code == 0, sent.describe() + server.log() + p.logs());
  }
  p.wireguard_go_forgets_tetherd();
  ProcessResult again = ping(p.relay, "192.0.2.1", 2);
  BOOST_TEST_REQUIRE(again.exit_code == 0, again.describe() + p.logs());
  ::usleep(2'500'000);  // keepalives from both sides
  p.tetherd.reset();    // nothing more on the wire: the captures can end
  p.wg.reset();
  p.captures->stop();

  const Timeline dumpcap = check_capture(p.captures->dumpcap_file(), p.key_log);
  const Timeline ours = check_capture(p.captures->live_file(), p.key_log);
  expect_two_handshakes_and_traffic(dumpcap);
  expect_two_handshakes_and_traffic(ours);
  const std::size_t same = expect_same_events(dumpcap.events, ours.events);
  BOOST_TEST(same == ours.events.size());
  BOOST_TEST_MESSAGE("the two captures: the same " << same << " events");
  check_tether_pcap_csv(p.captures->live_file(), p.key_log, ours);
}

// Under a flood of junk initiations tetherd answers wireguard-go's first
// initiation with a cookie reply; wireguard-go's next, 5 s later, carries
// mac2 and is answered. Cookie replies and a few thousand initiations with
// one sender index, against tshark.
BOOST_AUTO_TEST_CASE(cookie_replies_under_a_handshake_flood_equal_tshark) {
  WireGuardPeers p;
  p.start_tetherd("");
  ProcessResult pinged;
  {
    HandshakeFlood flood(p.relay, *Endpoint::parse("198.18.0.1:51820"));
    ::usleep(1'500'000);  // past one full second of flood: tetherd is under load
    p.start_wireguard_go("Endpoint = 198.18.0.1:51820\n");
    // REKEY_TIMEOUT (5 s) after the cookie, the initiation with mac2.
    pinged = run_in(p.relay, {"ping", "-n", "-c", "1", "-w", "20", "192.0.2.1"}, Duration::seconds(30));
  }
  BOOST_TEST_REQUIRE(pinged.exit_code == 0, pinged.describe() + p.logs());
  p.tetherd.reset();
  p.wg.reset();
  p.captures->stop();

  const Timeline dumpcap = check_capture(p.captures->dumpcap_file(), p.key_log);
  const Timeline ours = check_capture(p.captures->live_file(), p.key_log);
  for (const Timeline* t : {&dumpcap, &ours}) {
    std::size_t cookies_to_wireguard_go = 0;
    for (const TimelineEvent& e : t->events)
      cookies_to_wireguard_go += e.kind == "cookie-reply" && e.destination == "198.18.0.2:51820";
    BOOST_TEST(cookies_to_wireguard_go >= 1u);
    BOOST_TEST(count(*t, "", "response") == 1u);
    BOOST_TEST(count(*t, "", "initiation") >= 200u);
  }
  const std::size_t same = expect_same_events(dumpcap.events, ours.events);
  BOOST_TEST(same == ours.events.size());
  BOOST_TEST_MESSAGE("the two captures: the same " << same << " events");
}

BOOST_AUTO_TEST_SUITE_END()
