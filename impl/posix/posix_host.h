#pragma once
// The Host on Linux: Boost.Asio's event loop, kernel sockets, a TUN device,
// real files and the system's DNS. tetherd runs node apps on one PosixHost;
// tests drive it with run_for / run_until.

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "host/host.h"
#include "smtp/durable_file.h"

namespace tether::posix {

class BlockingPool;
class DnsResolver;

struct PosixHostOptions {
  // Created (with parents) if missing.
  std::filesystem::path storage_root = "/var/lib/tether";
  // Empty: gethostname().
  std::string hostname;
  LogLevel log_threshold = LogLevel::info;
  // Unset: one line per record on stderr, formatted by format_log_record.
  Logger::Sink log_sink;
  // Set: every lookup (A, AAAA, MX, PTR) is sent to this server, e.g. a
  // local dnsmasq at 127.0.0.1:5353. Unset: the system resolver for
  // A/AAAA/PTR and resolv.conf's first nameserver for MX.
  std::optional<Endpoint> dns_nameserver;
  Duration dns_timeout = Duration::seconds(2);  // per attempt
  int dns_attempts = 2;
};

// Everything created through a PosixHost (timers, sockets, streams, devices,
// lookups) must be destroyed before it: they hold Asio objects bound to its
// io_context.
class PosixHost final : public Host {
 public:
  // Throws std::runtime_error when the storage root cannot be created: a
  // daemon cannot do anything useful without it.
  explicit PosixHost(PosixHostOptions options = {});
  // Runs on an io_context the caller owns (and keeps alive longer than this
  // host and everything created through it).
  PosixHost(boost::asio::io_context& io, PosixHostOptions options);
  ~PosixHost() override;
  PosixHost(const PosixHost&) = delete;
  PosixHost& operator=(const PosixHost&) = delete;

  boost::asio::io_context& io_context() { return io_; }

  // Runs the loop until stop() (idle periods included): the daemon's main loop.
  void run();
  // Runs the loop for `span` of real time, then returns.
  void run_for(Duration span);
  // Runs the loop until `done()` (checked after every callback) or until
  // `limit` has passed; returns done().
  bool run_until(const std::function<bool()>& done, Duration limit);
  // Makes run / run_for / run_until return after the current callback;
  // callable from a callback or a signal handler set up through Asio.
  void stop();

  // --- Host ---
  Time now() const override;
  WallTime wall_now() const override;
  std::unique_ptr<Timer> create_timer(std::function<void()> on_fire) override;
  void post(std::function<void()> fn) override;
  void run_blocking(std::function<void()> work, std::function<void()> done) override;
  Result<std::unique_ptr<UdpSocket>> udp_bind(const Endpoint& local) override;
  Result<std::unique_ptr<TcpListener>> tcp_listen(
      const Endpoint& local, std::function<void(std::unique_ptr<TcpStream>)> on_accept,
      const TcpListenOptions& options = {}) override;
  std::unique_ptr<TcpStream> tcp_connect(const Endpoint& remote, TcpStream::Handlers handlers,
                                         const TcpConnectOptions& options = {}) override;
  Result<std::unique_ptr<TunnelDevice>> open_tunnel(const TunnelDeviceConfig& config) override;
  const std::filesystem::path& storage_root() const override { return storage_root_; }
  // fsync(2): tetherd's queue and deliveries are as durable as the disk.
  const Durability& durability() const override { return smtp::fsync_durability(); }
  std::unique_ptr<DnsLookup> dns_lookup(const std::string& name, DnsRecordType type,
                                        std::function<void(Result<DnsAnswer>)> on_answer) override;
  void random_bytes(MutableByteView out) override;
  const std::string& hostname() const override { return hostname_; }
  const Logger& logger() const override { return logger_; }

 private:
  PosixHost(std::unique_ptr<boost::asio::io_context> owned, boost::asio::io_context* external,
            PosixHostOptions options);

  std::unique_ptr<boost::asio::io_context> owned_io_;
  boost::asio::io_context& io_;
  std::filesystem::path storage_root_;
  std::string hostname_;
  Logger logger_;
  Logger host_log_;  // component "host.posix", for this driver's own records
  std::unique_ptr<DnsResolver> dns_;
  // Declared after io_ so that it is gone (its threads joined) before an
  // owned io_context is.
  std::unique_ptr<BlockingPool> blocking_;
  bool stop_requested_ = false;
};

}  // namespace tether::posix
