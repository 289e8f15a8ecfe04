#pragma once
// tether::Host on an ns-3 node: the simulated world's driver. It only moves
// bytes and time between the node apps and ns-3; protocol logic lives in
// the apps and cores (docs/ARCHITECTURE.md).
//
// Everything it calls back runs as an ns-3 event in the node's context.
// Destroy a host, and everything it created, before Simulator::Destroy().

#include <filesystem>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include <ns3/node.h>
#include <ns3/ptr.h>

#include "host/host.h"
#include "sim/host/node_clock.h"
#include "sim/host/node_loop.h"
#include "sim/host/ns3_tcp_stream.h"
#include "sim/host/seeded_random.h"
#include "sim/host/zone_resolver.h"

namespace tether::sim {

struct Ns3HostOptions {
  // The node's own directory (queue, maildirs, keys); created if missing.
  std::filesystem::path storage_root;
  std::string hostname = "node";
  // random_bytes is the stream for (seed, random_stream); unset stream: the
  // node's id, so nodes of one world differ and a rerun repeats.
  std::uint64_t seed = 1;
  std::optional<std::uint64_t> random_stream;
  // wall_now() = epoch + simulated time. Default 2026-01-01T00:00:00Z.
  WallTime epoch = WallTime::from_unix_seconds(1767225600);
  LogLevel log_threshold = LogLevel::info;
  // Unset: format_log_record lines on stderr. Records carry the hostname as
  // their root component ("relay.smtp.server").
  Logger::Sink log_sink;
  // Where dns_lookup answers from; unset: every lookup fails with
  // dns_temporary.
  std::shared_ptr<const DnsAnswerSource> dns_zone;
  Duration dns_delay = Duration::milliseconds(1);
  TcpSettings tcp;
  // What the node's syncs do; unset: a SimulatedDurability of its own
  // (counted and skipped). The simulated disk's model plugs in here.
  std::shared_ptr<const Durability> durability;
  // The node's clock: rate error and tick (node_clock.h). Default: exact,
  // true time.
  ClockModel clock;
};

class Ns3Host : public Host {
 public:
  // `node` must already have an Internet stack (InternetStackHelper) and be
  // initialised: build the topology, run the simulation's time-0 events
  // (SimulationRun::boot in the tests), then create hosts.
  static Result<std::unique_ptr<Ns3Host>> create(ns3::Ptr<ns3::Node> node, Ns3HostOptions options);
  // Cancels posted calls and lets go of every ns-3 object it still holds.
  ~Ns3Host() override;

  Time now() const override;
  WallTime wall_now() const override;
  std::unique_ptr<Timer> create_timer(std::function<void()> on_fire) override;
  void post(std::function<void()> fn) override;
  void run_blocking(std::function<void()> work, std::function<void()> done) override;

  Result<std::unique_ptr<UdpSocket>> udp_bind(const Endpoint& local) override;
  Result<std::unique_ptr<TcpListener>> tcp_listen(const Endpoint& local,
                                                  std::function<void(std::unique_ptr<TcpStream>)> on_accept,
                                                  const TcpListenOptions& options = {}) override;
  std::unique_ptr<TcpStream> tcp_connect(const Endpoint& remote, TcpStream::Handlers handlers,
                                         const TcpConnectOptions& options = {}) override;

  Result<std::unique_ptr<TunnelDevice>> open_tunnel(const TunnelDeviceConfig& config) override;

  const std::filesystem::path& storage_root() const override { return options_.storage_root; }
  const Durability& durability() const override { return *options_.durability; }

  std::unique_ptr<DnsLookup> dns_lookup(const std::string& name, DnsRecordType type,
                                        std::function<void(Result<DnsAnswer>)> on_answer) override;

  void random_bytes(MutableByteView out) override;

  const std::string& hostname() const override { return options_.hostname; }
  const Logger& logger() const override { return logger_; }

  const ns3::Ptr<ns3::Node>& node() const { return loop_->node(); }
  const NodeClock& clock() const { return *clock_; }
  // The world may switch a node's DNS (a later resolver change, an outage).
  void set_dns_zone(std::shared_ptr<const DnsAnswerSource> zone) { options_.dns_zone = std::move(zone); }

 private:
  Ns3Host(ns3::Ptr<ns3::Node> node, Ns3HostOptions options);

  Ns3HostOptions options_;
  std::shared_ptr<NodeLoop> loop_;
  std::shared_ptr<const NodeClock> clock_;
  SeededRandom random_;
  Logger logger_;
  std::list<NodeLoop::Event> posted_;
};

}  // namespace tether::sim
