#pragma once
// A Host on a manual clock, for deterministic unit tests of cores and node
// apps. Hosts in one ManualWorld reach each other by address over an
// in-memory network with a fixed latency; DNS answers come from a table the
// test fills; the tunnel device's OS side is a function the test provides.
// It honours the whole Host contract (no re-entrant callbacks, destruction
// ends callbacks) so apps tested here behave the same on Linux and ns-3.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "host/host.h"
#include "smtp/durable_file.h"
#include "support/manual_world.h"

namespace tether::testing {

struct ManualHostOptions {
  std::string hostname = "manual.test";
  std::vector<IpAddress> addresses;  // besides loopback
  std::uint64_t seed = 1;
  WallTime epoch = WallTime::from_unix_seconds(1'767'225'600);  // 2026-01-01T00:00:00Z
  // Empty: a fresh temporary directory, removed with the host.
  std::filesystem::path storage_root;
  LogLevel log_threshold = LogLevel::debug;
};

class ManualTunnelDevice;
class ManualUdpState;
class ManualTcpListenerState;
class ManualTcpStreamState;

class ManualHost : public Host {
 public:
  // Called with each packet the app writes into the tunnel device (towards
  // the OS); `to_app` hands a packet back as if the OS had routed it in.
  using TunnelOs = std::function<void(ByteView packet, const std::function<void(ByteView)>& to_app)>;

  ManualHost(ManualWorld& world, ManualHostOptions options = {});
  ~ManualHost() override;

  // Host
  Time now() const override { return world_.now(); }
  WallTime wall_now() const override { return options_.epoch + (world_.now() - Time::zero()); }
  std::unique_ptr<Timer> create_timer(std::function<void()> on_fire) override;
  void post(std::function<void()> fn) override;
  // `work` runs inline (file I/O takes no manual time), `done` is posted.
  void run_blocking(std::function<void()> work, std::function<void()> done) override;
  Result<std::unique_ptr<UdpSocket>> udp_bind(const Endpoint& local) override;
  Result<std::unique_ptr<TcpListener>> tcp_listen(
      const Endpoint& local, std::function<void(std::unique_ptr<TcpStream>)> on_accept,
      const TcpListenOptions& options = {}) override;
  std::unique_ptr<TcpStream> tcp_connect(const Endpoint& remote, TcpStream::Handlers handlers,
                                         const TcpConnectOptions& options) override;
  Result<std::unique_ptr<TunnelDevice>> open_tunnel(const TunnelDeviceConfig& config) override;
  const std::filesystem::path& storage_root() const override { return storage_root_; }
  // fsync(2), as on Linux: the relay's tests run the file work tetherd does.
  const Durability& durability() const override { return smtp::fsync_durability(); }
  std::unique_ptr<DnsLookup> dns_lookup(const std::string& name, DnsRecordType type,
                                        std::function<void(Result<DnsAnswer>)> on_answer) override;
  void random_bytes(MutableByteView out) override;
  const std::string& hostname() const override { return options_.hostname; }
  const Logger& logger() const override { return logger_; }

  // Test controls.
  ManualWorld& world() { return world_; }
  bool owns_address(const IpAddress& a) const;
  // What lookups of (name, type) answer; unset pairs are dns_nxdomain. For
  // ptr, `name` is the address in text (any spelling of it).
  void set_dns(const std::string& name, DnsRecordType type, Result<DnsAnswer> answer);
  // How long lookups take from now on; unset (the default): a round trip,
  // twice the world's latency.
  void set_dns_delay(std::optional<Duration> delay) { dns_delay_ = delay; }
  // How many times any timer of this host has been armed: what each arm
  // would cost on Linux is a timer syscall.
  std::uint64_t timer_arms() const { return *timer_arms_; }
  void set_tunnel_os(TunnelOs os) { tunnel_os_ = std::move(os); }
  const TunnelOs& tunnel_os() const { return tunnel_os_; }
  const std::vector<std::string>& log_lines() const { return log_lines_; }

  // Used by the in-memory network.
  std::shared_ptr<ManualUdpState> find_udp(const Endpoint& to) const;
  std::shared_ptr<ManualTcpListenerState> find_listener(const Endpoint& to) const;
  std::uint16_t allocate_port();
  IpAddress source_address_for(const IpAddress& remote) const;

 private:
  friend class ManualUdpSocket;
  friend class ManualTcpListener;
  ManualWorld& world_;
  ManualHostOptions options_;
  std::filesystem::path storage_root_;
  bool owns_storage_ = false;
  Logger logger_;
  std::vector<std::string> log_lines_;
  std::uint64_t random_state_;
  std::uint16_t next_port_ = 40000;
  std::map<Endpoint, std::weak_ptr<ManualUdpState>> udp_;
  std::map<Endpoint, std::weak_ptr<ManualTcpListenerState>> listeners_;
  std::map<std::pair<std::string, DnsRecordType>, Result<DnsAnswer>> dns_;
  std::optional<Duration> dns_delay_;
  std::shared_ptr<std::uint64_t> timer_arms_ = std::make_shared<std::uint64_t>(0);  // outlives timers
  TunnelOs tunnel_os_;
};

}  // namespace tether::testing
