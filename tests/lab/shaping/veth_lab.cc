// VethLab and its UDP probes.
#include "veth_lab.h"

#include <arpa/inet.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "support/network_namespace.h"

namespace tether::testing {

namespace {

constexpr std::uint16_t kPort = 47000;

std::int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

sockaddr_in address(const char* dotted) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(kPort);
  inet_pton(AF_INET, dotted, &sa.sin_addr);
  return sa;
}

// A UDP socket made inside `netns` (it stays there when the thread leaves).
int socket_in(const std::string& netns) {
  auto visit = ThreadInNamespace::enter(netns);
  if (!visit) return -1;
  return ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

struct Payload {
  std::uint32_t sequence;
  std::int64_t sent_realtime_ns;
};

}  // namespace

VethLab::VethLab(bool ipv6) {
  if (!a_.created() || !b_.created()) return;
  std::vector<std::vector<std::string>> steps = {
      {"ip", "-n", a(), "link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b()}};
  if (ipv6) {
    steps.push_back({"ip", "-n", a(), "addr", "add", "fd77::1/64", "dev", "va", "nodad"});
    steps.push_back({"ip", "-n", b(), "addr", "add", "fd77::2/64", "dev", "vb", "nodad"});
  } else {
    steps.push_back({"ip", "netns", "exec", a(), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"});
    steps.push_back({"ip", "netns", "exec", b(), "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"});
  }
  steps.insert(steps.end(), {
      {"ip", "-n", a(), "addr", "add", "10.77.0.1/24", "dev", "va"},
      {"ip", "-n", b(), "addr", "add", "10.77.0.2/24", "dev", "vb"},
      {"ip", "-n", a(), "link", "set", "va", "up"},
      {"ip", "-n", b(), "link", "set", "vb", "up"},
      // Resolve the neighbour now: ARP is not IP and would wait in no queue,
      // but the first probe would wait for it.
      {"ip", "netns", "exec", a(), "ping", "-c", "1", "-W", "2", "10.77.0.2"},
  });
  for (const auto& step : steps) {
    auto r = run_process(step);
    if (r.exit_code != 0) {
      BOOST_TEST_MESSAGE("veth lab: " << r.describe());
      return;
    }
  }
  ok_ = true;
}

std::size_t ProbeRun::reordered() const {
  std::size_t n = 0;
  std::uint32_t highest = 0;
  bool any = false;
  for (std::uint32_t s : arrival_order) {
    if (any && s < highest) ++n;
    highest = any ? std::max(highest, s) : s;
    any = true;
  }
  return n;
}

ProbeRun send_probes(const VethLab& lab, std::size_t count, Duration spacing, Duration settle) {
  ProbeRun run;
  const int receiver = socket_in(lab.b()), sender = socket_in(lab.a());
  BOOST_TEST_REQUIRE(receiver >= 0);
  BOOST_TEST_REQUIRE(sender >= 0);
  const int buffer = 8 << 20;
  ::setsockopt(receiver, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
  const sockaddr_in to = address("10.77.0.2");
  BOOST_TEST_REQUIRE(::bind(receiver, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
  const timeval poll_interval{0, 50'000};
  ::setsockopt(receiver, SOL_SOCKET, SO_RCVTIMEO, &poll_interval, sizeof poll_interval);

  std::atomic<std::int64_t> stop_after{INT64_MAX};  // monotonic ns
  std::thread receive([&] {
    while (clock_ns(CLOCK_MONOTONIC) < stop_after.load() && run.arrival_order.size() < count) {
      Payload p{};
      if (::recv(receiver, &p, sizeof p, 0) != ssize_t(sizeof p)) continue;
      const std::int64_t received = clock_ns(CLOCK_REALTIME);
      run.arrival_order.push_back(p.sequence);
      run.one_way_ms.push_back(double(received - p.sent_realtime_ns) / 1e6);
    }
  });

  const std::int64_t start = clock_ns(CLOCK_MONOTONIC);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::int64_t at = start + std::int64_t(i) * spacing.ns();
    const timespec wake{time_t(at / 1000000000), long(at % 1000000000)};
    if (spacing.ns() > 0) ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, nullptr);
    run.send_times.push_back(Time::from_ns(clock_ns(CLOCK_MONOTONIC)));
    const Payload p{i, clock_ns(CLOCK_REALTIME)};
    ++run.attempted;
    if (::sendto(sender, &p, sizeof p, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) == ssize_t(sizeof p)) ++run.sent;
    else ++run.send_failures;
  }
  stop_after = clock_ns(CLOCK_MONOTONIC) + settle.ns();
  receive.join();
  ::close(sender);
  ::close(receiver);
  return run;
}

Summary summarise(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  double sum = 0, squares = 0;
  for (double x : v) sum += x;
  s.mean = sum / double(v.size());
  for (double x : v) squares += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(squares / double(v.size() - 1)) : 0;
  auto at = [&](double q) { return v[std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5))]; };
  s.min = v.front(), s.p50 = at(0.5), s.p99 = at(0.99), s.max = v.back();
  return s;
}

std::string describe(const Summary& s) {
  char text[200];
  std::snprintf(text, sizeof text, "mean %.3f sd %.3f min %.3f p50 %.3f p99 %.3f max %.3f ms", s.mean, s.stddev, s.min, s.p50,
                s.p99, s.max);
  return text;
}

}  // namespace tether::testing
