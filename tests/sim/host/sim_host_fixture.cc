#include "sim/host/sim_host_fixture.h"

#include <stdlib.h>

#include <stdexcept>
#include <system_error>

#include <ns3/boolean.h>
#include <ns3/global-value.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/mac48-address.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/ipv4-header.h>
#include <ns3/names.h>
#include <ns3/node-container.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/ppp-header.h>
#include <ns3/simulator.h>
#include <ns3/string.h>

namespace tether::testing {

SimulationRun::SimulationRun() {
  // A previous test that failed half-way may have left a simulation behind.
  ns3::Simulator::Destroy();
  ns3::Names::Clear();
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(true));
  // Helpers hand out MAC addresses from a process-wide counter; resetting it
  // makes a second run in the same process build the same world.
  ns3::Mac48Address::ResetAllocationIndex();
}

SimulationRun::~SimulationRun() {
  ns3::Simulator::Destroy();
  ns3::Names::Clear();
}

bool SimulationRun::run_until(const std::function<bool()>& done, Duration limit) {
  if (done()) return true;
  ns3::EventId check;
  std::function<void()> tick = [&] {
    if (done()) {
      ns3::Simulator::Stop();
      return;
    }
    check = ns3::Simulator::Schedule(ns3::MilliSeconds(1), tick);
  };
  check = ns3::Simulator::Schedule(ns3::MilliSeconds(1), tick);
  // Not Simulator::Stop(limit): that event cannot be cancelled, and would
  // stop a later run early if this one ends by done().
  ns3::EventId bound = ns3::Simulator::Schedule(sim::to_ns3(limit), [] { ns3::Simulator::Stop(); });
  ns3::Simulator::Run();
  check.Cancel();
  bound.Cancel();
  return done();
}

void SimulationRun::boot() { run_for(Duration::zero()); }

void SimulationRun::run_for(Duration span) {
  ns3::EventId bound = ns3::Simulator::Schedule(sim::to_ns3(span), [] { ns3::Simulator::Stop(); });
  ns3::Simulator::Run();
  bound.Cancel();
}

TempDirectory::TempDirectory(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp " + pattern + " failed");
  path_ = pattern;
}

TempDirectory::~TempDirectory() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

sim::Ns3HostOptions test_host_options(const TempDirectory& dir, const std::string& hostname, std::uint64_t seed) {
  sim::Ns3HostOptions options;
  options.storage_root = dir.path() / hostname;
  options.hostname = hostname;
  options.seed = seed;
  options.log_threshold = LogLevel::warning;
  return options;
}

namespace {

std::unique_ptr<sim::Ns3Host> make_test_host(ns3::Ptr<ns3::Node> node, const TempDirectory& dir,
                                             const std::string& name, std::uint64_t seed) {
  auto host = sim::Ns3Host::create(node, test_host_options(dir, name, seed));
  if (!host.ok()) throw std::runtime_error("host " + name + ": " + host.error().to_string());
  return std::move(*host);
}

}  // namespace

std::optional<TcpSegmentOnWire> tcp_segment_on_wire(ns3::Ptr<const ns3::Packet> packet) {
  ns3::Ptr<ns3::Packet> copy = packet->Copy();
  ns3::PppHeader ppp;
  copy->RemoveHeader(ppp);
  ns3::Ipv4Header ip;
  copy->RemoveHeader(ip);
  if (ip.GetProtocol() != 6) return std::nullopt;
  TcpSegmentOnWire segment;
  copy->RemoveHeader(segment.header);
  segment.payload_size = copy->GetSize();
  return segment;
}

TwoHostLink::TwoHostLink(const std::string& rate, const std::string& delay, std::uint64_t seed) {
  nodes.Create(2);
  ns3::InternetStackHelper internet;
  internet.Install(nodes);
  internet.AssignStreams(nodes, 0);
  ns3::PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", ns3::StringValue(rate));
  p2p.SetChannelAttribute("Delay", ns3::StringValue(delay));
  link = p2p.Install(nodes);
  ns3::Ipv4AddressHelper addresses;
  addresses.SetBase("192.0.2.0", "255.255.255.0");
  addresses.Assign(link);
  SimulationRun::boot();
  alpha = make_test_host(nodes.Get(0), dir, "alpha", seed);
  bravo = make_test_host(nodes.Get(1), dir, "bravo", seed);
}

SimHostFixture::SimHostFixture() {
  node_ = ns3::CreateObject<ns3::Node>();
  ns3::InternetStackHelper internet;
  internet.Install(node_);
  internet.AssignStreams(ns3::NodeContainer(node_), 0);
  SimulationRun::boot();
  auto host = sim::Ns3Host::create(node_, test_host_options(storage_, "simhost"));
  if (!host) throw std::runtime_error("SimHostFixture: " + host.error().to_string());
  host_ = std::move(*host);
}

SimHostFixture::~SimHostFixture() {
  host_.reset();
  node_ = nullptr;
}

}  // namespace tether::testing
