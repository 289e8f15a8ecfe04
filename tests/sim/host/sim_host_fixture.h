#pragma once
// The ns-3 driver's test set-up: SimulationRun owns one ns-3 simulation for
// the length of a test (ns-3 keeps it in process-wide singletons, so tests
// run one after another, each starting at time 0 with node ids from 0), and
// SimHostFixture is the Host conformance fixture on one node.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <ns3/net-device-container.h>
#include <ns3/node-container.h>
#include <ns3/node.h>
#include <ns3/packet.h>
#include <ns3/tcp-header.h>

#include "host/host_fixture.h"
#include "sim/host/ns3_host.h"

namespace tether::testing {

class SimulationRun {
 public:
  // Resets what ns-3 does not reset by itself between simulations and turns
  // on checksums (so written pcaps validate, and corrupt packets are caught).
  SimulationRun();
  // Simulator::Destroy, which also empties the node and channel lists, and
  // the Names table. Hosts on this run's nodes must be gone by now.
  ~SimulationRun();
  SimulationRun(const SimulationRun&) = delete;
  SimulationRun& operator=(const SimulationRun&) = delete;

  // Runs the events due at time 0, among them the initialisation of every
  // node built so far: a node sends nothing before that, and Ns3Host
  // refuses a node that is not initialised. Build the topology, boot, then
  // create hosts.
  static void boot();

  // Runs until done() or `limit` of simulated time; done() is checked every
  // millisecond of simulated time. Returns done().
  static bool run_until(const std::function<bool()>& done, Duration limit);
  static void run_for(Duration span);
};

// A fresh directory under the system's temp directory, removed with all its
// contents on destruction.
class TempDirectory {
 public:
  explicit TempDirectory(const std::string& prefix = "tether-sim");
  ~TempDirectory();
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Options for a test host: storage under `dir`/`hostname`, warnings only.
sim::Ns3HostOptions test_host_options(const TempDirectory& dir, const std::string& hostname,
                                      std::uint64_t seed = 1);

// Two nodes on one point-to-point link, alpha 192.0.2.1 and bravo
// 192.0.2.2, booted, with an Ns3Host on each (storage under `dir`). The
// members go in reverse order: the hosts before the simulation.
struct TwoHostLink {
  TwoHostLink(const std::string& rate, const std::string& delay, std::uint64_t seed = 1);

  SimulationRun run;
  TempDirectory dir;
  ns3::NodeContainer nodes;
  ns3::NetDeviceContainer link;  // alpha's device, then bravo's
  std::unique_ptr<sim::Ns3Host> alpha, bravo;
};

// A TCP segment as a point-to-point device's MacTx trace sees it (PPP,
// IPv4, TCP), with its payload's size; nothing for another protocol.
struct TcpSegmentOnWire {
  ns3::TcpHeader header;
  std::uint32_t payload_size = 0;
};
std::optional<TcpSegmentOnWire> tcp_segment_on_wire(ns3::Ptr<const ns3::Packet> packet);

class SimHostFixture : public HostFixture {
 public:
  // One node with an Internet stack (loopback only) and an Ns3Host on it.
  SimHostFixture();
  ~SimHostFixture() override;

  const char* driver_name() const override { return "ns3"; }
  Host& host() override { return *host_; }
  sim::Ns3Host& ns3_host() { return *host_; }
  ns3::Ptr<ns3::Node> node() const { return node_; }

  bool run_until(const std::function<bool()>& done, Duration limit) override {
    return SimulationRun::run_until(done, limit);
  }
  void run_for(Duration span) override { SimulationRun::run_for(span); }

 private:
  // Declared first, destroyed last: the host goes before the simulator.
  SimulationRun run_;
  TempDirectory storage_;
  ns3::Ptr<ns3::Node> node_;
  std::unique_ptr<sim::Ns3Host> host_;
};

}  // namespace tether::testing
