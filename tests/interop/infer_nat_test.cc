// `infer` on lab-like captures with known settings (issue 11): tetherd at
// home behind an nftables NAT whose UDP conntrack timeout is set, with
// PersistentKeepalive 0, 3 or 4 s, wireguard-go on the relay; tether's own
// live capture on the relay's side of the NAT, then pcap::infer on the
// file. The recovered keepalive must be within 5% of the configured one
// (none when it is off), and the NAT bracket must hold the true timeout.
//
// The probes come from the relay (a ping through the tunnel) after chosen
// silences. Only the world without keepalive lets its mapping expire: one
// probe 3.5 s after home last spoke (inside its 5 s timeout: answered) and
// one 7 s after (beyond it: the NAT answers "port unreachable"), which
// brackets 5 s. The worlds with keepalive never let it expire, so their
// brackets have no upper end and their lower end must not pass the timeout.
// The three worlds run side by side: about 40 s in all.

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "interop/nat_world.h"
#include "pcap/infer.h"
#include "pcap/infer_format.h"
#include "pcap/live_capture.h"
#include "pcap/pcap_writer.h"
#include "support/network_namespace.h"

using namespace tether;
using namespace tether::testing;
using namespace tether::testing::interop;

namespace {

// tether's LiveCapture on an interface of another namespace, writing a
// pcap: a thread of its own enters the namespace (setns), opens the
// capture there and writes each record until stop().
class NamespaceCapture {
 public:
  NamespaceCapture(const std::string& ns, const std::string& interface, const std::string& path) : path_(path) {
    thread_ = std::thread([this, ns, interface] { run(ns, interface); });
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait_for(lock, std::chrono::seconds(10), [&] { return state_ != State::opening; });
    BOOST_TEST_REQUIRE((state_ == State::running), "capture on " + interface + " in " + ns + ": " + error_);
  }
  ~NamespaceCapture() { stop(); }

  // Ends the capture and closes the file; true if both went cleanly.
  bool stop() {
    if (thread_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (capture_) capture_->stop();
      }
      thread_.join();
    }
    return error_.empty();
  }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  enum class State { opening, running, failed };

  void fail(const std::string& why) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = why;
    state_ = State::failed;
    opened_.notify_all();
  }

  void run(const std::string& ns, const std::string& interface) {
    // This thread stays in the namespace until it ends.
    auto inside = ThreadInNamespace::enter(ns);
    if (!inside.ok()) return fail(inside.error().message);
    pcap::LiveCaptureOptions options;
    options.interface = interface;
    options.filter = "udp port 51820 or icmp";
    auto capture = pcap::LiveCapture::open(options);
    if (!capture.ok()) return fail(capture.error().message);
    auto writer = pcap::PcapWriter::create(path_, (*capture)->link_type());
    if (!writer.ok()) return fail(writer.error().message);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      capture_ = std::move(*capture);
      state_ = State::running;
      opened_.notify_all();
    }
    Result<void> ran = capture_->run(
        [&](const pcap::Record& r) { (*writer)->write(r.at, r.data, r.original_length); });
    Result<void> closed = (*writer)->close();
    if (!ran.ok()) error_ = ran.error().message;
    else if (!closed.ok()) error_ = closed.error().message;
  }

  std::string path_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable opened_;
  State state_ = State::opening;
  std::unique_ptr<pcap::LiveCapture> capture_;
  std::string error_;
};

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

const pcap::KeepaliveFigure* keepalive_of(const pcap::Inference& inference, const std::string& side) {
  for (const auto& k : inference.keepalives)
    if (k.side.rfind(side + ":", 0) == 0) return &k;
  return nullptr;
}

const pcap::NatBracket* bracket_of(const pcap::Inference& inference, const std::string& inside) {
  for (const auto& b : inference.nat)
    if (b.inside == inside) return &b;
  return nullptr;
}

struct Setting {
  int keepalive;  // home's PersistentKeepalive, s
  int timeout;    // the NAT's UDP conntrack timeout, s
};

}  // namespace

BOOST_AUTO_TEST_SUITE(infer_interop, *boost::unit_test::precondition(needs_wireguard_go_and_nftables))

BOOST_AUTO_TEST_CASE(infer_on_lab_like_captures_with_known_settings_finds_them, *boost::unit_test::label("root")) {
  // The world without keepalive first in every round, so that its probes'
  // silences are the sleeps plus nothing the other worlds take.
  const std::vector<Setting> settings{{0, 5}, {3, 10}, {4, 5}};
  std::vector<std::unique_ptr<NatWorld>> worlds;
  std::vector<std::unique_ptr<NamespaceCapture>> captures;
  for (const Setting& s : settings) {
    // The capture starts before tetherd, which with a keepalive dials at once.
    worlds.push_back(std::make_unique<NatWorld>(s.keepalive, s.timeout, [&](NatWorld& w) {
      captures.push_back(std::make_unique<NamespaceCapture>(w.relay, NatWorld::kRelayInterface,
                                                            (w.dir / "relay.pcap").string()));
    }));
  }

  // Home dials out: the handshake opens the mapping.
  for (auto& w : worlds) {
    ProcessResult out = ping(w->home, "192.0.2.2", 1);
    BOOST_TEST_REQUIRE(out.exit_code == 0, out.describe() + w->logs());
  }
  // Probes from the relay after 3.5 s and then 7 s of silence from home
  // (without keepalive; with it, home is never silent that long).
  sleep_seconds(3.5);
  for (auto& w : worlds) {
    ProcessResult probe = ping(w->relay, "192.0.2.1", 1);
    BOOST_TEST(probe.exit_code == 0, probe.describe() + w->logs());
  }
  sleep_seconds(7);
  for (std::size_t i = 0; i < worlds.size(); ++i) {
    ProcessResult probe = ping(worlds[i]->relay, "192.0.2.1", 1);
    BOOST_TEST((probe.exit_code == 0) == (settings[i].keepalive > 0), probe.describe());
  }
  // More keepalives to measure.
  sleep_seconds(15);

  for (std::size_t i = 0; i < worlds.size(); ++i) {
    const Setting& s = settings[i];
    BOOST_TEST_CONTEXT("keepalive " << s.keepalive << " s, conntrack timeout " << s.timeout << " s") {
      BOOST_TEST_REQUIRE(captures[i]->stop(), captures[i]->error());
      auto timeline = pcap::build_timeline({captures[i]->path()}, pcap::TimelineOptions{});
      BOOST_TEST_REQUIRE(timeline.ok(), (timeline.ok() ? std::string() : timeline.error().message));
      BOOST_TEST(timeline->problems.empty());
      pcap::Inference inference = pcap::infer(*timeline);
      if (const char* keep = std::getenv("TETHER_KEEP_CAPTURES"))  // to look at them, or for docs/pcap.md
        std::filesystem::copy_file(captures[i]->path(), std::string(keep) + "/infer-" + std::to_string(s.keepalive) +
                                   "-" + std::to_string(s.timeout) + ".pcap",
                                   std::filesystem::copy_options::overwrite_existing);
      BOOST_TEST_MESSAGE(pcap::infer_text(inference));

      const pcap::KeepaliveFigure* home = keepalive_of(inference, NatWorld::kNatOutside);
      const pcap::KeepaliveFigure* relay = keepalive_of(inference, "198.18.20.2");
      BOOST_TEST_REQUIRE(home);
      BOOST_TEST_REQUIRE(relay);
      if (s.keepalive > 0) {
        BOOST_TEST_REQUIRE(home->interval.value.has_value(), home->interval.note);
        BOOST_TEST(home->interval.samples >= 3u);
        BOOST_TEST(std::abs(*home->interval.value - s.keepalive) <= 0.05 * s.keepalive);
      } else {
        BOOST_TEST(!home->interval.value.has_value());
      }
      BOOST_TEST(!relay->interval.value.has_value(), relay->interval.note);  // wireguard-go without one

      const pcap::NatBracket* bracket = bracket_of(inference, NatWorld::kNatOutside);
      BOOST_TEST_REQUIRE(bracket);
      BOOST_TEST_REQUIRE(bracket->at_least.has_value(), bracket->note);
      BOOST_TEST(*bracket->at_least <= s.timeout);
      if (s.keepalive == 0) BOOST_TEST_REQUIRE(bracket->below.has_value(), bracket->note);
      if (bracket->below) BOOST_TEST(*bracket->below >= s.timeout);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
