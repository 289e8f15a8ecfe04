#include "sim/host/ns3_host.h"

#include <iostream>
#include <system_error>

#include <ns3/ipv4.h>

#include "sim/host/ns3_tcp_listener.h"
#include "sim/host/ns3_timer.h"
#include "sim/host/ns3_tunnel_device.h"
#include "sim/host/ns3_udp_socket.h"
#include "sim/host/simulated_durability.h"
#include "sim/host/zone_resolver.h"

namespace tether::sim {

Result<std::unique_ptr<Ns3Host>> Ns3Host::create(ns3::Ptr<ns3::Node> node, Ns3HostOptions options) {
  if (!node) return Error(ErrorCode::invalid_argument, "Ns3Host: no node");
  if (!node->GetObject<ns3::Ipv4>())
    return Error(ErrorCode::invalid_argument,
                 "Ns3Host " + options.hostname + ": node " + std::to_string(node->GetId()) +
                     " has no Internet stack (install one with InternetStackHelper first)");
  // ns-3 initialises a node (its queue discs, its traffic-control layer)
  // from an event at time 0; sending before that dereferences null inside
  // TrafficControlLayer::Send. Initialising it here instead would skip the
  // queue discs of devices the world installs afterwards. So the world
  // builds its topology, runs the time-0 events, then creates hosts.
  if (!node->IsInitialized())
    return Error(ErrorCode::invalid_argument,
                 "Ns3Host " + options.hostname + ": node " + std::to_string(node->GetId()) +
                     " is not initialised yet (run the simulation's time-0 events before creating hosts)");
  if (!options.durability) options.durability = std::make_shared<SimulatedDurability>();
  if (options.storage_root.empty())
    return Error(ErrorCode::invalid_argument, "Ns3Host " + options.hostname + ": no storage root given");
  std::error_code ec;
  std::filesystem::create_directories(options.storage_root, ec);
  if (ec)
    return Error(ErrorCode::io,
                 "Ns3Host " + options.hostname + ": cannot create " + options.storage_root.string() + ": " + ec.message());
  return std::unique_ptr<Ns3Host>(new Ns3Host(std::move(node), std::move(options)));
}

Ns3Host::Ns3Host(ns3::Ptr<ns3::Node> node, Ns3HostOptions options)
    : options_(std::move(options)),
      loop_(std::make_shared<NodeLoop>(std::move(node))),
      clock_(std::make_shared<const NodeClock>(options_.clock)),
      random_(options_.seed, options_.random_stream.value_or(loop_->node_id())) {
  Logger::Sink sink = options_.log_sink;
  if (!sink) sink = [](const LogRecord& record) { std::cerr << format_log_record(record) << '\n'; };
  logger_ = Logger([clock = clock_] { return clock->now(NodeLoop::now()); }, std::move(sink), options_.log_threshold).child(options_.hostname);
}

Ns3Host::~Ns3Host() {
  posted_.clear();
  loop_->shut_down();
}

Time Ns3Host::now() const { return clock_->now(NodeLoop::now()); }

// The wall clock keeps the node's rate, not its tick (clock_gettime reads
// the timecounter between ticks).
WallTime Ns3Host::wall_now() const { return options_.epoch + (clock_->local(NodeLoop::now()) - Time::zero()); }

std::unique_ptr<Timer> Ns3Host::create_timer(std::function<void()> on_fire) {
  return std::make_unique<Ns3Timer>(loop_, clock_, std::move(on_fire));
}

void Ns3Host::post(std::function<void()> fn) {
  // Kept so that destroying the host cancels what is still pending.
  auto it = posted_.emplace(posted_.end());
  *it = loop_->schedule(Duration::zero(), [this, it, fn = std::move(fn)] {
    posted_.erase(it);
    fn();
  });
}

void Ns3Host::run_blocking(std::function<void()> work, std::function<void()> done) {
  // File I/O takes no simulated time; the done still comes from the loop.
  work();
  post(std::move(done));
}

Result<std::unique_ptr<UdpSocket>> Ns3Host::udp_bind(const Endpoint& local) {
  auto socket = Ns3UdpSocket::bind(loop_, local);
  if (!socket) return socket.error();
  return std::unique_ptr<UdpSocket>(std::move(*socket));
}

Result<std::unique_ptr<TcpListener>> Ns3Host::tcp_listen(
    const Endpoint& local, std::function<void(std::unique_ptr<TcpStream>)> on_accept,
    const TcpListenOptions& listen_options) {
  auto listener = Ns3TcpListener::listen(loop_, options_.tcp, local, listen_options, std::move(on_accept));
  if (!listener) return listener.error();
  return std::unique_ptr<TcpListener>(std::move(*listener));
}

std::unique_ptr<TcpStream> Ns3Host::tcp_connect(const Endpoint& remote, TcpStream::Handlers handlers,
                                                const TcpConnectOptions& options) {
  return Ns3TcpStream::connect(loop_, options_.tcp, remote, std::move(handlers), options);
}

Result<std::unique_ptr<TunnelDevice>> Ns3Host::open_tunnel(const TunnelDeviceConfig& config) {
  auto device = Ns3TunnelDevice::open(loop_, config);
  if (!device) return device.error();
  return std::unique_ptr<TunnelDevice>(std::move(*device));
}

std::unique_ptr<DnsLookup> Ns3Host::dns_lookup(const std::string& name, DnsRecordType type,
                                               std::function<void(Result<DnsAnswer>)> on_answer) {
  return std::make_unique<ZoneLookup>(*loop_, options_.dns_zone, options_.dns_delay, name, type,
                                      std::move(on_answer));
}

void Ns3Host::random_bytes(MutableByteView out) { random_.fill(out); }

}  // namespace tether::sim
