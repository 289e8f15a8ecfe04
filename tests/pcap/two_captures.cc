#include "pcap/two_captures.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <chrono>
#include <cstring>
#include <optional>
#include <sstream>

#include "pcap/frames.h"
#include "pcap/read_capture.h"
#include "support/network_namespace.h"

namespace tether::pcap::testing {
namespace {

const std::string kStartProbe = "tether two captures: start";
const std::string kEndProbe = "tether two captures: end";

// "packet N" in a detail, N less `offset`.
std::string renumbered(const std::string& detail, std::uint64_t offset) {
  static const std::string kPacket = "packet ";
  std::string out;
  std::size_t at = 0;
  for (std::size_t found; (found = detail.find(kPacket, at)) != std::string::npos;) {
    std::size_t digits = found + kPacket.size(), end = digits;
    while (end < detail.size() && std::isdigit(static_cast<unsigned char>(detail[end]))) ++end;
    out += detail.substr(at, digits - at);
    if (end > digits) out += std::to_string(std::stoull(detail.substr(digits, end - digits)) - offset);
    at = end;
  }
  return out + detail.substr(at);
}

// "packet N" in a detail without N.
std::string unnumbered(const std::string& detail) {
  static const std::string kPacket = "packet ";
  std::string out;
  std::size_t at = 0;
  for (std::size_t found; (found = detail.find(kPacket, at)) != std::string::npos;) {
    std::size_t end = found + kPacket.size();
    while (end < detail.size() && std::isdigit(static_cast<unsigned char>(detail[end]))) ++end;
    out += detail.substr(at, found - at) + "packet #";
    at = end;
  }
  return out + detail.substr(at);
}

// An event without which file it was in nor when, its packet numbers
// (its own, those in its detail) less `offset`; or, with `numbered` false,
// without any packet number.
std::string what(const TimelineEvent& e, std::uint64_t offset, bool numbered = true) {
  std::ostringstream s;
  if (numbered)
    s << "packet " << e.packet_number - offset << ": ";
  s << e.source << " > " << e.destination << " [" << e.layer
    << "] " << e.protocol << " " << e.kind << " ("
    << (numbered ? renumbered(e.detail, offset) : unnumbered(e.detail)) << ")";
  if (e.wg_type)
    s << " wg " << *e.wg_type << " " << e.wg_sender.value_or(0) << " " << e.wg_receiver.value_or(0) << " "
      << e.wg_counter.value_or(0) << " " << e.wg_keepalive.value_or(false) << " " << e.wg_session.value_or(0);
  if (!e.smtp_verb.empty() || e.smtp_code) s << " smtp " << e.smtp_verb << " " << e.smtp_code.value_or(0);
  if (!e.tcp_flags.empty()) s << " tcp " << e.tcp_flags;
  return s.str();
}

bool holds(ByteView data, const std::string& text) {
  return std::search(data.begin(), data.end(), text.begin(), text.end()) != data.end();
}

}  // namespace

TwoCaptures::TwoCaptures(const std::string& ns, const tether::testing::TestDirectory& dir,
                         TwoCapturesOptions options)
    : ns_(ns),
      options_(std::move(options)),
      dumpcap_file_((dir / ("dumpcap-" + options_.interface + ".pcapng")).string()),
      live_file_((dir / ("tether-" + options_.interface + ".pcap")).string()) {
  auto spawned =
      tether::testing::ChildProcess::spawn({"ip", "netns", "exec", ns, "dumpcap", "-i",
                                            options_.interface, "-f", options_.filter, "-w", dumpcap_file_});
  BOOST_TEST_REQUIRE(spawned.ok(), why(spawned));
  dumpcap_ = std::move(*spawned);
  BOOST_TEST_REQUIRE(dumpcap_->wait_for_output("Capturing on", Duration::seconds(20)), dumpcap_->output());
  bool ready = false;
  for (int tries = 0; tries < 100 && !ready; ++tries) {
    probe(kStartProbe);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ready = dumpcap_holds(kStartProbe);
  }
  BOOST_TEST_REQUIRE(ready, "dumpcap never wrote a probe: " + dumpcap_->output());

  LiveCaptureOptions live;
  live.interface = options_.interface;
  live.filter = options_.filter;
  {
    // The capture's socket is opened in the namespace and stays there.
    auto inside = tether::testing::ThreadInNamespace::enter(ns);
    BOOST_TEST_REQUIRE(inside.ok(), why(inside));
    auto opened = LiveCapture::open(live);
    BOOST_TEST_REQUIRE(opened.ok(), why(opened));
    live_ = std::move(*opened);
  }
  auto writer = PcapWriter::create(live_file_, live_->link_type());
  BOOST_TEST_REQUIRE(writer.ok(), why(writer));
  writer_ = std::move(*writer);
  loop_ = std::thread([this] {
    live_outcome_ = live_->run([this](const Record& record) {
      writer_->write(record.at, record.data, record.original_length);
      if (holds(record.data, kEndProbe)) {
        std::lock_guard<std::mutex> lock(mutex_);
        live_has_end_ = true;
        end_seen_.notify_all();
      }
    });
  });
}

TwoCaptures::~TwoCaptures() {
  end_live_capture();
  if (dumpcap_ && !dumpcap_->exited()) {
    ::kill(dumpcap_->pid(), SIGINT);
    dumpcap_->wait_exit(Duration::seconds(10));
  }
}

void TwoCaptures::end_live_capture() {
  if (!loop_.joinable()) return;
  live_->stop();
  loop_.join();
}

void TwoCaptures::stop() {
  probe(kEndProbe);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    end_seen_.wait_for(lock, std::chrono::seconds(10), [this] { return live_has_end_; });
  }
  end_live_capture();
  BOOST_TEST_REQUIRE(live_outcome_.ok(), why(live_outcome_));
  // Packets the kernel could not hand over (a full ring) would be missing
  // from ours only: the comparisons would fail without saying why.
  const LiveCapture::Stats stats = live_->stats();
  BOOST_TEST(stats.dropped == 0u, "tether's capture: the kernel dropped " << stats.dropped << " of "
                                                                          << stats.received << " packets");
  BOOST_TEST(live_has_end_, "tether's capture never saw the end probe");
  auto closed = writer_->close();
  BOOST_TEST_REQUIRE(closed.ok(), why(closed));
  // dumpcap is not in immediate mode: it takes the kernel's buffer in
  // blocks. Stopping it before the end probe is in its file could lose the
  // last block.
  bool written = false;
  for (int tries = 0; tries < 50 && !(written = dumpcap_holds(kEndProbe)); ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(dumpcap_->pid(), SIGINT);
  BOOST_TEST_REQUIRE(dumpcap_->wait_exit(Duration::seconds(10)), dumpcap_->output());
  BOOST_TEST(written, "dumpcap never wrote the end probe: " + dumpcap_->output());
}

void TwoCaptures::probe(const std::string& payload) {
  auto inside = tether::testing::ThreadInNamespace::enter(ns_);
  BOOST_TEST_REQUIRE(inside.ok(), why(inside));
  const IpAddress& to = options_.probe_to.address();
  int fd = ::socket(to.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(fd >= 0, std::strerror(errno));
  sockaddr_storage address{};
  socklen_t length = 0;
  if (to.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&address);
    in->sin_family = AF_INET;
    in->sin_port = htons(options_.probe_to.port());
    std::memcpy(&in->sin_addr, to.bytes(), 4);
    length = sizeof *in;
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(options_.probe_to.port());
    std::memcpy(&in6->sin6_addr, to.bytes(), 16);
    length = sizeof *in6;
  }
  const ssize_t sent =
      ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&address), length);
  const int error = errno;
  ::close(fd);
  BOOST_TEST_REQUIRE(sent == static_cast<ssize_t>(payload.size()), std::strerror(error));
}

bool TwoCaptures::dumpcap_holds(const std::string& payload) const {
  // The file may end in a block dumpcap is still writing: what was read
  // before it counts.
  CollectingVisitor so_far;
  (void)read_capture(dumpcap_file_, 0, so_far);
  for (const Bytes& p : so_far.seen.datagram_payloads)
    if (holds(p, payload)) return true;
  return false;
}

namespace {

std::size_t expect_same_events_reordered(const std::vector<const TimelineEvent*>& theirs_sorted,
                                         const std::vector<const TimelineEvent*>& ours_sorted) {
  // Two packets going opposite ways, tapped on two CPUs within
  // microseconds, can reach the two capturing sockets in opposite orders:
  // the files then number them differently (seen once in CI: a wg data
  // packet each way, swapped). Each event of ours must then still be in
  // dumpcap's, said the same but for packet numbers and within 10 ms; only
  // the order of such near-simultaneous packets may differ.
  const Duration window = Duration::milliseconds(10);
  std::vector<std::string> theirs_said, ours_said;
  for (const TimelineEvent* e : theirs_sorted) theirs_said.push_back(what(*e, 0, false));
  for (const TimelineEvent* e : ours_sorted) ours_said.push_back(what(*e, 0, false));
  std::vector<bool> taken(theirs_said.size(), false);
  std::size_t moved = 0;
  for (std::size_t i = 0; i < ours_said.size(); ++i) {
    std::optional<std::size_t> match;
    for (std::size_t j = 0; j < theirs_said.size() && !match; ++j) {
      if (taken[j] || theirs_said[j] != ours_said[i]) continue;
      const Duration apart = ours_sorted[i]->at - theirs_sorted[j]->at;
      if (apart < window && -apart < window) match = j;
    }
    if (!match) {
      BOOST_ERROR("the two captures differ: event " << i << " of " << ours_said.size()
                                                    << " of ours is not in dumpcap's (within 10 ms): "
                                                    << what(*ours_sorted[i], 0));
      return 0;
    }
    taken[*match] = true;
    if (*match != i) ++moved;
  }
  const std::size_t extra = static_cast<std::size_t>(std::count(taken.begin(), taken.end(), false));
  if (extra > 0) {
    BOOST_ERROR("the two captures differ: dumpcap's has " << extra << " events more than ours");
    return 0;
  }
  BOOST_TEST_MESSAGE("the two captures: the same events, " << moved
                                                           << " at other places (near-simultaneous packets)");
  return ours_sorted.size();
}

}  // namespace

std::size_t expect_same_events(const std::vector<TimelineEvent>& dumpcap,
                               const std::vector<TimelineEvent>& ours) {
  // dumpcap's file has the start probes before the first packet of ours.
  BOOST_TEST_REQUIRE(!ours.empty());
  BOOST_TEST_REQUIRE(!dumpcap.empty());
  // In packet order: each file's time order may differ from it (packets
  // stamped on two CPUs), and by a microsecond differently in each file.
  auto in_packet_order = [](const std::vector<TimelineEvent>& events) {
    std::vector<const TimelineEvent*> sorted;
    for (const TimelineEvent& e : events) sorted.push_back(&e);
    std::stable_sort(sorted.begin(), sorted.end(), [](const TimelineEvent* a, const TimelineEvent* b) {
      return a->packet_number < b->packet_number;
    });
    return sorted;
  };
  const auto theirs_sorted = in_packet_order(dumpcap), ours_sorted = in_packet_order(ours);
  const std::uint64_t offset = theirs_sorted[0]->packet_number - ours_sorted[0]->packet_number;
  std::vector<std::string> theirs_said, ours_said;
  for (const TimelineEvent* e : theirs_sorted) theirs_said.push_back(what(*e, offset));
  for (const TimelineEvent* e : ours_sorted) ours_said.push_back(what(*e, 0));
  if (theirs_said != ours_said) return expect_same_events_reordered(theirs_sorted, ours_sorted);
  for (std::size_t i = 0; i < ours.size(); ++i) {
    const Duration apart = ours_sorted[i]->at - theirs_sorted[i]->at;
    BOOST_TEST((apart < Duration::milliseconds(10) && -apart < Duration::milliseconds(10)),
               ours_said[i] << ": " << apart.ns() << " ns apart");
  }
  return ours.size();
}

}  // namespace tether::pcap::testing
