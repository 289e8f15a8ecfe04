// tether-lab's link captures stamp a packet on each end when that end has
// it, as the simulation's captures do (lab/runner/link_captures.h): on the
// sending end when it leaves, on the receiving end when the link's delay
// line lets it in, never one the line drops as lost or a blackhole drops.
// Root cases on a veth pair shaped by lab/shaping, with timestamped UDP
// probes (tests/lab/shaping/veth_lab.h); the frame rebuilding and the
// ordered writer without root.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "lab/runner/link_captures.h"
#include "lab/runner/ordered_pcap_writer.h"
#include "lab/runner/released_frame.h"
#include "pcap/capture_file.h"
#include "support/preconditions.h"
#include "support/root_precondition.h"
#include "support/run_process.h"
#include "../shaping/veth_lab.h"

namespace tether::lab {
namespace {

using testing::ProbeRun;
using testing::VethLab;

const WallTime kEpoch = WallTime::from_unix_seconds(1767225600);  // 2026-01-01, a scenario's epoch
constexpr std::uint16_t kProbePort = 47000;                      // veth_lab.cc's

// One probe as a capture holds it: its payload (sequence, send time) and the
// record's stamp, back on the wall clock.
struct Seen {
  std::int64_t sent_ns = 0, stamped_ns = 0;
  Bytes frame;
};

// The probes from 10.77.0.1 in `path`, by sequence number; `others` counts
// every other IP frame sent to the far end's address (none expected).
std::map<std::uint32_t, Seen> probes_in(const std::filesystem::path& path, std::int64_t zero_ns,
                                        std::size_t* others = nullptr) {
  std::map<std::uint32_t, Seen> seen;
  auto file = pcap::CaptureFile::open(path.string());
  BOOST_TEST_REQUIRE(file.ok(), (file.ok() ? "" : file.error().message));
  BOOST_TEST_REQUIRE((*file)->link_type() == 1);  // Ethernet
  for (;;) {
    auto next = (*file)->next();
    BOOST_TEST_REQUIRE(next.ok());
    if (!next->has_value()) break;
    const pcap::Record& r = **next;
    const ByteView f = r.data;
    if (f.size() < 14 + 20 || f[12] != 0x08 || f[13] != 0x00) continue;
    const std::size_t ihl = std::size_t(f[14] & 0x0f) * 4;
    const bool from_a = f[26] == 10 && f[27] == 77 && f[28] == 0 && f[29] == 1;
    const std::size_t udp = 14 + ihl;
    const bool probe = from_a && f[23] == 17 && f.size() >= udp + 8 + 16 && f[udp + 2] == (kProbePort >> 8) &&
                       f[udp + 3] == (kProbePort & 0xff);
    if (!probe) {
      if (others && f[30] == 10 && f[31] == 77 && f[32] == 0 && f[33] == 2) ++*others;
      continue;
    }
    std::uint32_t sequence = 0;
    Seen s;
    std::memcpy(&sequence, f.data() + udp + 8, sizeof sequence);
    std::memcpy(&s.sent_ns, f.data() + udp + 8 + 8, sizeof s.sent_ns);
    s.stamped_ns = (r.at - kEpoch).ns() + zero_ns;
    s.frame = f.to_bytes();
    BOOST_TEST(seen.count(sequence) == 0u, "probe " << sequence << " twice in " << path);
    seen[sequence] = s;
  }
  return seen;
}

std::int64_t ns_of(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

double ms(std::int64_t ns) { return double(ns) / 1e6; }

// Both directions of the veth pair shaped alike, each delay line copying
// its packets for a capture, as tether-lab --pcap installs them.
struct ShapedPair {
  std::unique_ptr<ShapedLink> a_to_b, b_to_a;
  std::vector<ShapedLink*> lines() const { return {a_to_b.get(), b_to_a.get()}; }
};

ShapedPair shape_both(const VethLab& lab, const LinkShape& shape) {
  ShapingOptions o;
  o.mechanism = ShapingMechanism::nfqueue;
  o.copy_packets = true;
  ShapedPair pair;
  auto ab = ShapedLink::install({lab.a(), "va"}, {lab.b(), "vb"}, shape, o);
  BOOST_TEST_REQUIRE(ab.ok(), (ab.ok() ? "" : ab.error().message));
  o.seed = 2;
  auto ba = ShapedLink::install({lab.b(), "vb"}, {lab.a(), "va"}, shape, o);
  BOOST_TEST_REQUIRE(ba.ok(), (ba.ok() ? "" : ba.error().message));
  pair.a_to_b = std::move(*ab), pair.b_to_a = std::move(*ba);
  return pair;
}

// A veth pair shaped both ways as `shape` says, both ends captured from now
// until stop(); the probes each end's file holds after that.
struct CapturedPair {
  VethLab lab;
  ShapedPair pair;
  testing::TestDirectory dir{"tether-capstamps"};
  std::chrono::system_clock::time_point zero;
  std::unique_ptr<LinkCaptures> captures;

  explicit CapturedPair(const LinkShape& shape) {
    BOOST_TEST_REQUIRE(lab.ok());
    pair = shape_both(lab, shape);
    zero = std::chrono::system_clock::now();
    const std::vector<CaptureEnd> ends = {{"wire-0", lab.a(), "va"}, {"wire-1", lab.b(), "vb"}};
    auto c = LinkCaptures::start(ends, pair.lines(), dir.path(), kEpoch, zero);
    BOOST_TEST_REQUIRE(c.ok(), (c.ok() ? "" : c.error().message));
    BOOST_TEST((*c)->delayed_ends() == std::vector<std::string>({"wire-0", "wire-1"}));
    captures = std::move(*c);
  }
  void stop() {
    const auto problems = captures->stop();
    for (const auto& p : problems) BOOST_TEST_MESSAGE("capture: " << p);
    BOOST_TEST(problems.empty());
  }
  std::map<std::uint32_t, Seen> sent() const { return probes_in(dir / "wire-0.pcap", ns_of(zero)); }
  std::map<std::uint32_t, Seen> arrived(std::size_t* others = nullptr) const {
    return probes_in(dir / "wire-1.pcap", ns_of(zero), others);
  }
};

boost::test_tools::assertion_result needs_root_and_tools(boost::unit_test::test_unit_id) {
  if (!testing::running_as_root()) return testing::skip_unless(false, "needs root for namespaces, iptables and captures");
  for (const char* tool : {"iptables", "ip6tables", "ip", "nft", "ping"})
    if (!testing::program_exists(tool)) return testing::skip_unless(false, std::string("needs ") + tool + " (scripts/packages.txt)");
  return true;
}

BOOST_AUTO_TEST_SUITE(link_capture_stamps)

BOOST_AUTO_TEST_CASE(frame_of_a_released_packet) {
  const MacAddress own{0x02, 0, 0, 0, 0, 0x0b};
  const Bytes peer{0x02, 0, 0, 0, 0, 0x0a};
  Bytes v4(28, 0);
  v4[0] = 0x45;
  v4[16] = 10, v4[17] = 77, v4[18] = 0, v4[19] = 2;
  Bytes frame = ethernet_frame(v4, peer, own);
  BOOST_TEST_REQUIRE(frame.size() == 14 + v4.size());
  BOOST_TEST(ByteView(frame).subview(0, 6) == ByteView(own));
  BOOST_TEST(ByteView(frame).subview(6, 6) == ByteView(peer));
  BOOST_TEST(frame[12] == 0x08);
  BOOST_TEST(frame[13] == 0x00);
  BOOST_TEST(ByteView(frame).subview(14) == ByteView(v4));
  v4[16] = 239, v4[17] = 129, v4[18] = 2, v4[19] = 3;  // a group: 01:00:5e and its low 23 bits
  frame = ethernet_frame(v4, peer, own);
  BOOST_TEST(ByteView(frame).subview(0, 6) == ByteView(Bytes{0x01, 0x00, 0x5e, 0x01, 2, 3}));
  v4[16] = v4[17] = v4[18] = v4[19] = 255;
  frame = ethernet_frame(v4, ByteView(), own);
  BOOST_TEST(ByteView(frame).subview(0, 6) == ByteView(Bytes(6, 0xff)));
  BOOST_TEST(ByteView(frame).subview(6, 6) == ByteView(Bytes(6, 0)));  // no source given
  Bytes v6(48, 0);
  v6[0] = 0x60;
  v6[24] = 0xff, v6[25] = 0x02, v6[37] = 0x01, v6[38] = 0xff, v6[39] = 0x12;
  frame = ethernet_frame(v6, peer, own);
  BOOST_TEST(ByteView(frame).subview(0, 6) == ByteView(Bytes{0x33, 0x33, 0x00, 0x01, 0xff, 0x12}));
  BOOST_TEST(frame[12] == 0x86);
  BOOST_TEST(frame[13] == 0xdd);
  v6[24] = 0xfd;
  frame = ethernet_frame(v6, peer, own);
  BOOST_TEST(ByteView(frame).subview(0, 6) == ByteView(own));
}

BOOST_AUTO_TEST_CASE(ordered_writer_writes_in_time_order) {
  testing::TestDirectory dir("tether-ordered");
  auto w = pcap::PcapWriter::create((dir / "o.pcap").string(), 1);
  BOOST_TEST_REQUIRE(w.ok());
  OrderedPcapWriter out(std::move(*w), Duration::milliseconds(100));
  const Bytes frame(60, 0);
  auto at = [](int ms) { return kEpoch + Duration::milliseconds(ms); };
  for (int t : {10, 5, 30, 20, 200, 150, 400}) out.write(at(t), ByteView(frame), 60);
  out.write(at(1), ByteView(frame), 60);  // 300 ms after a later one was written: still written, counted
  BOOST_TEST(out.out_of_order() == 1u);
  BOOST_TEST_REQUIRE(out.close().ok());
  out.write(at(500), ByteView(frame), 60);  // closed: ignored
  auto file = pcap::CaptureFile::open((dir / "o.pcap").string());
  BOOST_TEST_REQUIRE(file.ok());
  std::vector<std::int64_t> stamps;
  for (auto r = (*file)->next(); r.ok() && r->has_value(); r = (*file)->next()) stamps.push_back(((*r)->at - kEpoch).ns() / 1000000);
  BOOST_TEST(stamps == std::vector<std::int64_t>({5, 10, 20, 30, 150, 200, 1, 400}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE(root, *boost::unit_test::label("root") * boost::unit_test::precondition(needs_root_and_tools))

// A packet sent at t shows at t on the sender's end and at t + delay on the
// receiver's (never before, and never after the receiving socket has it),
// in the frame it came in.
BOOST_AUTO_TEST_CASE(receiving_end_stamped_after_the_delay) {
  LinkShape shape;
  shape.delay = Duration::milliseconds(30);
  CapturedPair wire(shape);
  const std::size_t n = 200;
  const ProbeRun run = testing::send_probes(wire.lab, n, Duration::milliseconds(5), Duration::milliseconds(500));
  wire.stop();
  BOOST_TEST_REQUIRE(run.sent == n);
  BOOST_TEST_REQUIRE(run.arrival_order.size() == n);
  std::map<std::uint32_t, double> received_ms;  // the receiving socket's one-way time
  for (std::size_t i = 0; i < n; ++i) received_ms[run.arrival_order[i]] = run.one_way_ms[i];

  const auto sent = wire.sent();
  const auto arrived = wire.arrived();
  BOOST_TEST_REQUIRE(sent.size() == n);
  BOOST_TEST_REQUIRE(arrived.size() == n);
  std::vector<double> leave, excess;
  for (const auto& [sequence, a] : arrived) {
    const Seen& s = sent.at(sequence);
    leave.push_back(ms(s.stamped_ns - s.sent_ns));
    excess.push_back(ms(a.stamped_ns - s.stamped_ns) - 30.0);
    BOOST_TEST(s.stamped_ns >= s.sent_ns, "probe " << sequence << " stamped before sendto");
    BOOST_TEST(a.stamped_ns - s.stamped_ns >= 30'000'000, "probe " << sequence << " arrived early");
    BOOST_TEST(ms(a.stamped_ns - s.sent_ns) <= received_ms[sequence], "probe " << sequence << " stamped after the socket had it");
    // The frame it came in: the sender's, but for the UDP checksum, which
    // the sender's capture shows before the checksum offload fills it in.
    BOOST_TEST_REQUIRE(a.frame.size() == s.frame.size());
    const std::size_t udp_checksum = 14 + 20 + 6;
    BOOST_TEST(ByteView(a.frame).subview(0, udp_checksum) == ByteView(s.frame).subview(0, udp_checksum));
    BOOST_TEST(ByteView(a.frame).subview(udp_checksum + 2) == ByteView(s.frame).subview(udp_checksum + 2));
  }
  const auto l = testing::summarise(leave), x = testing::summarise(excess);
  std::printf("captures: sender's stamp after sendto: %s\n", testing::describe(l).c_str());
  std::printf("captures: receiver's stamp minus sender's, minus 30 ms: %s\n", testing::describe(x).c_str());
  // The delay line's accuracy (lab/shaping/README.md): typically 0.1 ms late.
  BOOST_TEST(l.p50 <= 2.0);
  BOOST_TEST(x.p50 <= 2.0);
  BOOST_TEST(x.mean <= 5.0);
}

// What the delay line drops as lost is on the sender's end only.
BOOST_AUTO_TEST_CASE(lost_packets_only_on_the_sending_end) {
  LinkShape shape;
  shape.delay = Duration::milliseconds(10);
  shape.loss = 0.3;
  CapturedPair wire(shape);
  const std::size_t n = 300;
  const ProbeRun run = testing::send_probes(wire.lab, n, Duration::milliseconds(2), Duration::milliseconds(300));
  wire.stop();
  BOOST_TEST_REQUIRE(run.sent == n);
  const auto sent = wire.sent();
  const auto arrived = wire.arrived();
  const std::set<std::uint32_t> received(run.arrival_order.begin(), run.arrival_order.end());
  std::set<std::uint32_t> captured;
  for (const auto& [sequence, a] : arrived) captured.insert(sequence);
  std::printf("captures: loss 30%%: %zu sent, %zu captured arriving, %zu received, %llu lost\n", sent.size(),
              captured.size(), received.size(), (unsigned long long)wire.pair.a_to_b->delayer_stats()->lost);
  BOOST_TEST(sent.size() == n);
  BOOST_TEST(received.size() < n);
  BOOST_TEST((captured == received));
  BOOST_TEST(wire.pair.a_to_b->delayer_stats()->lost == n - received.size());
}

// A blackholed end (lab/events' link-down: an nftables netdev ingress table
// dropping all but ARP and IPv6 neighbour discovery, NetworkEvents::
// set_link_down) shows nothing of what it drops; the sender's shows it all.
BOOST_AUTO_TEST_CASE(blackholed_end_shows_nothing_incoming) {
  LinkShape shape;
  shape.delay = Duration::milliseconds(10);
  CapturedPair wire(shape);
  auto nft = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"ip", "netns", "exec", wire.lab.b(), "nft"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = testing::run_process(argv);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.describe());
  };
  nft({"add", "table", "netdev", "blackhole_vb"});
  nft({"add", "chain", "netdev", "blackhole_vb", "drop_all",
       "{ type filter hook ingress device \"vb\" priority -500; policy drop; }"});
  nft({"add", "rule", "netdev", "blackhole_vb", "drop_all", "ether", "type", "arp", "accept"});
  const ProbeRun dropped = testing::send_probes(wire.lab, 50, Duration::milliseconds(5), Duration::milliseconds(200));
  nft({"delete", "table", "netdev", "blackhole_vb"});
  wire.stop();
  BOOST_TEST_REQUIRE(dropped.sent == 50u);
  BOOST_TEST(dropped.arrival_order.empty());
  std::size_t others = 0;
  const auto sent = wire.sent();
  const auto arrived = wire.arrived(&others);
  std::printf("captures: blackholed: %zu sent, %zu captured arriving, %zu other IP frames to it\n", sent.size(),
              arrived.size(), others);
  BOOST_TEST(sent.size() == 50u);
  BOOST_TEST(arrived.empty());
  BOOST_TEST(others == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::lab
