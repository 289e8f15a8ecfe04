// Live capture in a network namespace the test makes: UDP datagrams sent
// over its loopback are captured by tether's LiveCapture (BPF filter,
// nanosecond timestamps, a stop from another thread) and, next to it, by
// dumpcap, whose pcapng the reader then reads.

#include "pcap/live_capture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pcap/dlt.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <thread>

#include "pcap/decode.h"
#include "pcap/frames.h"
#include "pcap/read_capture.h"
#include "support/child_process.h"
#include "support/network_namespace.h"
#include "support/preconditions.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

namespace tether::pcap {
namespace {

using namespace testing;
using tether::testing::ChildProcess;
using tether::testing::NetworkNamespace;
using tether::testing::needs_root;
using tether::testing::TestDirectory;

std::int64_t realtime_ns() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000'000'000 + ts.tv_nsec;
}

void send_udp(int fd, std::uint16_t port, const std::string& payload) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_TEST_REQUIRE(::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
                     static_cast<ssize_t>(payload.size()));
}

int bound_udp_socket(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(port);
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_TEST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
  return fd;
}

std::vector<Bytes> port_40000(const Seen& seen) {
  std::vector<Bytes> payloads;
  for (std::size_t i = 0; i < seen.datagrams.size(); ++i) {
    if (seen.datagrams[i].destination.port() == 40000) payloads.push_back(seen.datagram_payloads[i]);
  }
  return payloads;
}

// What a LiveCapture on `options` decoded while `send` ran, stopped from
// this thread once `expected` datagrams came (or 10 s passed).
struct Captured {
  Seen seen;
  int link_type = 0;
  bool ran_cleanly = false;
  LiveCapture::Stats stats;
};

Captured capture_while(const LiveCaptureOptions& options, std::size_t expected, const std::function<void()>& send) {
  Captured result;
  auto opened = LiveCapture::open(options);
  BOOST_TEST_REQUIRE(opened.ok(), why(opened));
  LiveCapture& capture = **opened;
  result.link_type = capture.link_type();
  std::mutex mutex;
  std::condition_variable arrived;
  CollectingVisitor visitor;
  Decoder decoder(capture.link_type(), visitor);
  Result<void> outcome;
  std::thread loop([&] {
    Origin origin;
    origin.capture_name = options.interface;
    outcome = capture.run([&](const Record& record) {
      std::lock_guard<std::mutex> lock(mutex);
      origin.packet_number = record.number;
      origin.at = record.at;
      decoder.decode(origin, record.data, record.original_length);
      arrived.notify_all();
    });
  });
  send();
  {
    std::unique_lock<std::mutex> lock(mutex);
    arrived.wait_for(lock, std::chrono::seconds(10), [&] { return visitor.seen.datagrams.size() >= expected; });
  }
  capture.stop();
  loop.join();  // returns: the stop took
  result.ran_cleanly = outcome.ok();
  result.stats = capture.stats();
  result.seen = visitor.seen;
  return result;
}

BOOST_AUTO_TEST_SUITE(live_capture)

BOOST_AUTO_TEST_CASE(udp_over_loopback_is_captured_in_order_and_stopped_cleanly,
                     *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  auto ns = NetworkNamespace::create_and_enter("pcap-live");
  BOOST_TEST_REQUIRE(ns.ok(), why(ns));
  TestDirectory dir("tether-pcap-live");

  // dumpcap beside ours, when it is installed: a real tool's pcapng of the same traffic.
  std::unique_ptr<ChildProcess> dumpcap;
  std::string dumpcap_file = (dir / "dumpcap.pcapng").string();
  if (tether::testing::program_exists("dumpcap")) {
    auto spawned = ChildProcess::spawn({"ip", "netns", "exec", (*ns)->name(), "dumpcap", "-i", "lo", "-f",
                                        "udp port 40000 or udp port 40009", "-w", dumpcap_file});
    BOOST_TEST_REQUIRE(spawned.ok(), why(spawned));
    dumpcap = std::move(*spawned);
    BOOST_TEST_REQUIRE(dumpcap->wait_for_output("Capturing on", Duration::seconds(20)), dumpcap->output());
    // "Capturing on" can come before dumpcap's socket sees traffic: probe
    // (port 40009) until a probe is in its file, bounded.
    int probe = ::socket(AF_INET, SOCK_DGRAM, 0);
    bool ready = false;
    for (int tries = 0; tries < 100 && !ready; ++tries) {
      send_udp(probe, 40009, "probe");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      CollectingVisitor so_far;
      ready = read_capture(dumpcap_file, 0, so_far).ok() && !so_far.seen.datagrams.empty();
    }
    ::close(probe);
    BOOST_TEST_REQUIRE(ready, "dumpcap never wrote a probe: " + dumpcap->output());
  }

  LiveCaptureOptions options;
  options.interface = "lo";
  options.filter = "udp port 40000";
  int receiver = bound_udp_socket(40000), other = bound_udp_socket(40001), sender = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::int64_t before = 0, after = 0;
  Captured captured = capture_while(options, 5, [&] {
    before = realtime_ns();
    for (int i = 0; i < 5; ++i) {
      send_udp(sender, 40000, "datagram " + std::to_string(i));
      send_udp(sender, 40001, "filtered out " + std::to_string(i));
    }
    after = realtime_ns();
  });
  ::close(receiver);
  ::close(other);
  ::close(sender);

  BOOST_TEST(captured.ran_cleanly);
  const Seen& seen = captured.seen;
  BOOST_TEST(seen.errors.empty(), seen.errors_text());
  BOOST_TEST_REQUIRE(seen.datagrams.size() == 5u);  // the filter kept port 40001 out
  // The kernel counts what passed the filter: on loopback each datagram
  // twice (the outgoing copy, which libpcap drops, pcap-linux.c), never the
  // five to port 40001.
  BOOST_TEST(captured.stats.received >= 5u);
  BOOST_TEST(captured.stats.received <= 10u);
  BOOST_TEST(captured.stats.dropped == 0u);
  bool finer_than_microseconds = false;
  for (std::size_t i = 0; i < 5; ++i) {
    const Datagram& d = seen.datagrams[i];
    std::string payload(seen.datagram_payloads[i].begin(), seen.datagram_payloads[i].end());
    BOOST_TEST(payload == "datagram " + std::to_string(i));
    BOOST_TEST(d.origin.packet_number == i + 1);
    BOOST_TEST(d.destination.to_string() == "127.0.0.1:40000");
    BOOST_TEST(d.origin.at.unix_ns() >= before);
    BOOST_TEST(d.origin.at.unix_ns() <= after);
    if (i > 0) BOOST_TEST(!(d.origin.at < seen.datagrams[i - 1].origin.at));
    if (d.origin.at.unix_ns() % 1000 != 0) finer_than_microseconds = true;
  }
  // Five kernel timestamps all on whole microseconds would mean the
  // nanosecond precision was lost (a chance of 1 in 10^15 otherwise).
  BOOST_TEST(finer_than_microseconds);

  if (dumpcap) {
    // dumpcap is not in immediate mode: it takes the kernel's buffer in
    // blocks, on a timeout. Stopping it right away would lose the block it
    // has not read, so wait until its file holds the datagrams (bounded).
    for (int tries = 0; tries < 50; ++tries) {
      CollectingVisitor so_far;
      if (read_capture(dumpcap_file, 0, so_far).ok() && port_40000(so_far.seen).size() >= 5) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ::kill(dumpcap->pid(), SIGINT);
    BOOST_TEST_REQUIRE(dumpcap->wait_exit(Duration::seconds(10)), dumpcap->output());
    CollectingVisitor from_file;
    auto read = read_capture(dumpcap_file, 0, from_file);
    BOOST_TEST_REQUIRE(read.ok(), why(read));
    BOOST_TEST(from_file.seen.errors.empty(), from_file.seen.errors_text());
    BOOST_TEST(port_40000(from_file.seen) == seen.datagram_payloads, dumpcap->output());
  }
}

// The "any" device hands Linux cooked headers, v1 or v2 as asked: the
// kernel's own SLL/SLL2 frames through the decoder.
BOOST_AUTO_TEST_CASE(the_any_device_in_sll_and_sll2,
                     *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  auto ns = NetworkNamespace::create_and_enter("pcap-any");
  BOOST_TEST_REQUIRE(ns.ok(), why(ns));
  int receiver = bound_udp_socket(40002), sender = ::socket(AF_INET, SOCK_DGRAM, 0);
  for (int link_type : {DLT_LINUX_SLL, DLT_LINUX_SLL2}) {
    BOOST_TEST_CONTEXT(link_type_name(link_type)) {
      LiveCaptureOptions options;
      options.interface = "any";
      options.filter = "udp dst port 40002";
      options.link_type = link_type;
      Captured captured = capture_while(options, 3, [&] {
        for (int i = 0; i < 3; ++i) send_udp(sender, 40002, "any " + std::to_string(i));
      });
      BOOST_TEST(captured.link_type == link_type);
      BOOST_TEST(captured.ran_cleanly);
      BOOST_TEST(captured.seen.errors.empty(), captured.seen.errors_text());
      BOOST_TEST_REQUIRE(captured.seen.datagrams.size() == 3u);
      BOOST_TEST(captured.seen.datagram_payloads[2] == (Bytes{'a', 'n', 'y', ' ', '2'}));
    }
  }
  ::close(receiver);
  ::close(sender);
}

BOOST_AUTO_TEST_CASE(a_bad_filter_names_the_interface_and_the_filter,
                     *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  auto ns = NetworkNamespace::create_and_enter("pcap-filter");
  BOOST_TEST_REQUIRE(ns.ok(), why(ns));
  LiveCaptureOptions options;
  options.interface = "lo";
  options.filter = "udp port banana";
  auto opened = LiveCapture::open(options);
  BOOST_TEST_REQUIRE(!opened.ok());
  BOOST_TEST(opened.error().message.find("capture on lo: filter 'udp port banana': ") == 0u, why(opened));
  options.interface = "no-such-if0";
  options.filter = "";
  opened = LiveCapture::open(options);
  BOOST_TEST_REQUIRE(!opened.ok());
  BOOST_TEST(opened.error().message.find("capture on no-such-if0") == 0u, why(opened));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace tether::pcap
