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

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
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
    auto spawned = ChildProcess::spawn({"ip", "netns", "exec", (*ns)->name(), "dumpcap", "-i", "lo", "-f", "udp port 40000", "-w", dumpcap_file});
    BOOST_TEST_REQUIRE(spawned.ok(), why(spawned));
    dumpcap = std::move(*spawned);
    BOOST_TEST_REQUIRE(dumpcap->wait_for_output("Capturing on", Duration::seconds(20)), dumpcap->output());
  }

  LiveCaptureOptions options;
  options.interface = "lo";
  options.filter = "udp port 40000";
  auto opened = LiveCapture::open(options);
  BOOST_TEST_REQUIRE(opened.ok(), why(opened));
  LiveCapture& capture = **opened;

  std::mutex mutex;
  std::condition_variable arrived;
  CollectingVisitor visitor;
  Decoder decoder(capture.link_type(), visitor);
  Result<void> outcome;
  std::thread loop([&] {
    Origin origin;
    origin.capture_name = "lo";
    outcome = capture.run([&](const Record& record) {
      std::lock_guard<std::mutex> lock(mutex);
      origin.packet_number = record.number;
      origin.at = record.at;
      decoder.decode(origin, record.data, record.original_length);
      arrived.notify_all();
    });
  });

  int receiver = bound_udp_socket(40000), other = bound_udp_socket(40001), sender = ::socket(AF_INET, SOCK_DGRAM, 0);
  std::int64_t before = realtime_ns();
  for (int i = 0; i < 5; ++i) {
    send_udp(sender, 40000, "datagram " + std::to_string(i));
    send_udp(sender, 40001, "filtered out " + std::to_string(i));
  }
  std::int64_t after = realtime_ns();
  {
    std::unique_lock<std::mutex> lock(mutex);
    arrived.wait_for(lock, std::chrono::seconds(10), [&] { return visitor.seen.datagrams.size() >= 5; });
  }
  capture.stop();
  loop.join();  // returns: the stop took
  ::close(receiver);
  ::close(other);
  ::close(sender);

  BOOST_TEST(outcome.ok());
  const Seen& seen = visitor.seen;
  BOOST_TEST(seen.errors.empty(), seen.errors_text());
  BOOST_TEST_REQUIRE(seen.datagrams.size() == 5u);  // the filter kept port 40001 out
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
      if (read_capture(dumpcap_file, 0, so_far).ok() && so_far.seen.datagrams.size() >= 5) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ::kill(dumpcap->pid(), SIGINT);
    BOOST_TEST_REQUIRE(dumpcap->wait_exit(Duration::seconds(10)), dumpcap->output());
    CollectingVisitor from_file;
    auto read = read_capture(dumpcap_file, 0, from_file);
    BOOST_TEST_REQUIRE(read.ok(), why(read));
    BOOST_TEST(from_file.seen.errors.empty(), from_file.seen.errors_text());
    BOOST_TEST(from_file.seen.datagram_payloads.size() == seen.datagram_payloads.size(), dumpcap->output());
    BOOST_TEST(from_file.seen.datagram_payloads == seen.datagram_payloads);
  }
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
