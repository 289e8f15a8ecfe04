#include "posix/posix_host.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "posix/blocking_pool.h"
#include "posix/dns_resolver.h"
#include "posix/tcp_listener.h"
#include "posix/tcp_stream.h"
#include "posix/timer.h"
#include "posix/tun_device.h"
#include "posix/udp_socket.h"

namespace tether::posix {
namespace {

std::string system_hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

Logger::Sink stderr_sink() {
  return [](const LogRecord& record) {
    std::string line = format_log_record(record);
    line += '\n';
    // One fwrite per record keeps lines whole when several processes (a
    // test and the daemons it starts) share the terminal.
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

}  // namespace

PosixHost::PosixHost(PosixHostOptions options)
    : PosixHost(std::make_unique<boost::asio::io_context>(1), nullptr, std::move(options)) {}

PosixHost::PosixHost(boost::asio::io_context& io, PosixHostOptions options)
    : PosixHost(nullptr, &io, std::move(options)) {}

PosixHost::PosixHost(std::unique_ptr<boost::asio::io_context> owned, boost::asio::io_context* external,
                     PosixHostOptions options)
    : owned_io_(std::move(owned)),
      io_(external ? *external : *owned_io_),
      storage_root_(std::move(options.storage_root)),
      hostname_(std::move(options.hostname)) {
  if (hostname_.empty()) hostname_ = system_hostname();
  logger_ = Logger([this] { return now(); }, options.log_sink ? std::move(options.log_sink) : stderr_sink(),
                   options.log_threshold);
  host_log_ = logger_.child("host.posix");

  std::error_code ec;
  std::filesystem::create_directories(storage_root_, ec);
  if (ec || !std::filesystem::is_directory(storage_root_))
    throw std::runtime_error("cannot create storage directory '" + storage_root_.string() +
                             "': " + (ec ? ec.message() : "exists and is not a directory"));

  DnsResolverOptions dns;
  dns.nameserver = options.dns_nameserver;
  dns.timeout = options.dns_timeout;
  dns.attempts = options.dns_attempts;
  dns_ = std::make_unique<DnsResolver>(io_, dns, logger_.child("host.dns"));
}

PosixHost::~PosixHost() = default;

// --- loop ---

void PosixHost::run() {
  stop_requested_ = false;
  auto work = boost::asio::make_work_guard(io_);
  io_.restart();
  io_.run();
}

void PosixHost::run_for(Duration span) {
  run_until([] { return false; }, span);
}

bool PosixHost::run_until(const std::function<bool()>& done, Duration limit) {
  stop_requested_ = false;
  if (done()) return true;
  // The deadline timer doubles as the loop's guarantee of a wake-up: run_one
  // blocks until some handler runs, and this one runs at the deadline. The
  // flag is shared because the handler may still be queued when we return.
  auto expired = std::make_shared<bool>(false);
  boost::asio::steady_timer deadline(io_);
  deadline.expires_after(std::chrono::nanoseconds(limit.is_infinite() ? INT64_MAX / 2 : limit.ns()));
  deadline.async_wait([expired](const boost::system::error_code& ec) {
    if (!ec) *expired = true;
  });
  io_.restart();
  for (;;) {
    if (done()) return true;
    if (*expired || stop_requested_) return false;
    if (io_.run_one() == 0) return done();  // stopped from outside
  }
}

void PosixHost::stop() {
  stop_requested_ = true;
  io_.stop();
}

// --- Host ---

Time PosixHost::now() const {
  // steady_clock is CLOCK_MONOTONIC on Linux: it never goes backwards and
  // is the clock Asio's steady_timer waits on, so deadlines and now() agree.
  return Time::from_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now().time_since_epoch())
                           .count());
}

WallTime PosixHost::wall_now() const {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return WallTime::from_unix_ns(std::int64_t(ts.tv_sec) * 1000'000'000 + ts.tv_nsec);
}

std::unique_ptr<Timer> PosixHost::create_timer(std::function<void()> on_fire) {
  return make_timer(io_, std::move(on_fire));
}

void PosixHost::post(std::function<void()> fn) {
  boost::asio::post(io_, std::move(fn));
}

void PosixHost::run_blocking(std::function<void()> work, std::function<void()> done) {
  // Eight: enough fsyncs in flight for the journal to batch them, few enough
  // that a burst of deliveries does not become a burst of threads.
  constexpr std::size_t kWorkers = 8;
  if (!blocking_) blocking_ = std::make_unique<BlockingPool>(io_, kWorkers);
  blocking_->run(std::move(work), std::move(done));
}

Result<std::unique_ptr<UdpSocket>> PosixHost::udp_bind(const Endpoint& local) {
  return bind_udp_socket(io_, local, host_log_);
}

Result<std::unique_ptr<TcpListener>> PosixHost::tcp_listen(
    const Endpoint& local, std::function<void(std::unique_ptr<TcpStream>)> on_accept,
    const TcpListenOptions& options) {
  return listen_tcp(io_, local, std::move(on_accept), options, host_log_);
}

std::unique_ptr<TcpStream> PosixHost::tcp_connect(const Endpoint& remote, TcpStream::Handlers handlers,
                                                  const TcpConnectOptions& options) {
  return connect_tcp_stream(io_, remote, std::move(handlers), options, host_log_);
}

Result<std::unique_ptr<TunnelDevice>> PosixHost::open_tunnel(const TunnelDeviceConfig& config) {
  return open_tun_device(io_, config, host_log_);
}

std::unique_ptr<DnsLookup> PosixHost::dns_lookup(const std::string& name, DnsRecordType type,
                                                 std::function<void(Result<DnsAnswer>)> on_answer) {
  return dns_->lookup(name, type, std::move(on_answer));
}

void PosixHost::random_bytes(MutableByteView out) {
  if (out.size() == 0) return;
  // Keys and nonces come from here; continuing with predictable bytes would
  // be worse than stopping.
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("tether: fatal: OpenSSL RAND_bytes failed; no secure randomness available\n", stderr);
    std::abort();
  }
}

}  // namespace tether::posix
