#pragma once
// What the lab's events tests read: the rows a real scenario::Metrics made
// of the events (the simulation's own formatting), as "source,kind,detail"
// lines, and the helpers the root cases share.

#include <boost/test/unit_test.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "lab/events/event_sink.h"
#include "lab/world/lab_world.h"
#include "support/root_precondition.h"
#include "support/run_process.h"

namespace tether::lab::testing {

// A Metrics fed through the MetricsSink the runner will use.
struct RecordedEvents {
  explicit RecordedEvents(const scenario::Scenario& s) : metrics(s), sink(metrics, mutex) {}
  std::vector<std::string> rows() {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<std::string> out;
    for (const scenario::TimelineRow& r : metrics.timeline()) out.push_back(r.source + "," + r.kind + "," + r.detail);
    return out;
  }
  // The first row of that kind, or "".
  std::string find(const std::string& kind) {
    for (const std::string& r : rows())
      if (r.find("," + kind + ",") != std::string::npos) return r;
    return "";
  }
  scenario::Metrics metrics;
  std::mutex mutex;
  MetricsSink sink;
};

inline bool pings(const LabWorld& world, const std::string& from, const std::string& to, const char* wait_s = "2") {
  return world.run_in(from, {"ping", "-4", "-c", "1", "-W", wait_s, to}).ok();
}

// One UDP datagram from `from`'s port to address:port (nothing need listen).
inline void send_udp(const LabWorld& world, const std::string& from, int port, const std::string& to) {
  const std::string send = "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', " +
                           std::to_string(port) + ")); s.sendto(b'x', ('" + to + "', 5555))";
  const CommandResult sent = world.run_in(from, {"/usr/bin/python3", "-c", send});
  BOOST_TEST_REQUIRE(sent.ok(), sent.output);
}

inline std::string conntrack_table(const LabWorld& world) {
  return world.run_in("gateway", {"conntrack", "-L"}).output;
}

inline boost::test_tools::assertion_result needs_conntrack(boost::unit_test::test_unit_id) {
  boost::test_tools::assertion_result r(tether::testing::program_exists("conntrack") &&
                                        tether::testing::program_exists("dig"));
  r.message() << "SKIPPED: needs conntrack and dig (Debian conntrack, bind9-dnsutils: scripts/packages.txt)";
  return r;
}

}  // namespace tether::lab::testing
