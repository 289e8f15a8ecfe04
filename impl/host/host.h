#pragma once
// The Host: everything a node application (TunnelEndpoint, MailRelay) may ask
// of the machine it runs on. impl/posix implements it on Linux and sim/ on
// ns-3; tests/ has a manual-clock version. Node apps see nothing else, which
// is what lets one implementation run unchanged in both worlds.
//
// Execution model, identical in every driver:
//  - single-threaded: every callback runs on the host's event loop, one at a
//    time, never concurrently with another;
//  - never re-entrant: no callback is invoked from inside the call that set it
//    up (send, write, connect, lookup, arm); it runs later from the loop;
//  - ownership ends callbacks: destroying (or closing) a socket, stream,
//    timer, device or pending lookup guarantees its callbacks will not run
//    afterwards, so an app can tear down from inside its own callback.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/durability.h"
#include "core/endpoint.h"
#include "core/error.h"
#include "core/logger.h"
#include "core/time.h"

namespace tether {

// A one-shot timer that can be re-armed. Cores report next_deadline(); apps
// keep one Timer per core and re-arm it after every input.
class Timer {
 public:
  virtual ~Timer() = default;  // cancels
  // Fires once at `deadline` (immediately from the loop if it has passed).
  // Arming an armed timer replaces its deadline.
  virtual void arm_at(Time deadline) = 0;
  virtual void cancel() = 0;
  virtual bool armed() const = 0;
};

class UdpSocket {
 public:
  using ReceiveHandler = std::function<void(const Endpoint& from, ByteView payload)>;
  virtual ~UdpSocket() = default;  // closes
  virtual Endpoint local_endpoint() const = 0;
  // Best-effort, like sendto(2): an error means the datagram was not handed
  // to the network (no route, too big); success means nothing more.
  virtual Result<void> send_to(const Endpoint& to, ByteView payload) = 0;
  // Datagrams arriving before a handler is set are dropped.
  virtual void set_receive_handler(ReceiveHandler handler) = 0;
};

class TcpStream {
 public:
  struct Handlers {
    // Outgoing connections only: success, or why the connect failed
    // (connection_refused, timed_out, host_unreachable, ...).
    std::function<void(Result<void>)> on_connected;
    std::function<void(ByteView data)> on_data;
    // Everything written so far has been handed to the network stack.
    std::function<void()> on_drained;
    // No more data will arrive. Code `closed`: the peer's orderly close
    // (EOF); the stream stays writable (TCP half-close) so a server can still
    // answer, until close(). Any other code is a failure (connection_reset,
    // timed_out, ...) and the stream is dead. Not called after close() or
    // destruction.
    std::function<void(const Error& reason)> on_closed;
  };

  virtual ~TcpStream() = default;  // like close()
  // An accepted stream reads nothing until its handlers are set, so no byte
  // can be lost between accept and set-up.
  virtual void set_handlers(Handlers handlers) = 0;
  virtual Endpoint local_endpoint() const = 0;
  virtual Endpoint remote_endpoint() const = 0;
  // Queues bytes to send; never blocks, order preserved. Ignored once closed.
  virtual void write(ByteView data) = 0;
  virtual std::size_t pending_write_bytes() const = 0;
  // Sends FIN once every queued byte is out; reading continues.
  virtual void shutdown_write() = 0;
  // Ends the connection now, with no more callbacks: bytes the network stack
  // accepts at once still go out, anything still queued beyond that is
  // dropped. For a graceful end that loses nothing, shutdown_write() and wait
  // for the peer's EOF first.
  virtual void close() = 0;
  // Flow control: while false, no on_data calls and the peer is pushed back
  // by TCP's window.
  virtual void set_reading(bool reading) = 0;
};

class TcpListener {
 public:
  virtual ~TcpListener() = default;  // stops listening
  virtual Endpoint local_endpoint() const = 0;
  // While false the app takes no new connection, but the socket keeps
  // listening: the stack still completes handshakes into its accept queue
  // (the listen backlog), and those connections reach on_accept, in order,
  // once accepting again. A full queue drops new SYNs, as Linux does
  // (tcp_conn_request), so a client beyond it sees neither a greeting nor a
  // refusal and retries its SYN until its connect timeout. This is how a
  // server that stops calling accept() looks from outside (OpenSMTPD's
  // smtp_pause()); closing the listener instead would refuse connections.
  // A new listener accepts.
  virtual void set_accepting(bool accepting) = 0;
};

struct TcpListenOptions {
  // listen(2)'s backlog: how many completed connections wait for the app
  // while it is not accepting. Linux holds one more than this
  // (sk_acceptq_is_full). Zero: the system's largest (SOMAXCONN).
  int backlog = 0;
};

struct TcpConnectOptions {
  // Bind to this local address first (smtpd.conf `src`); unset: any.
  std::optional<IpAddress> source;
  // Give up and report timed_out after this long; unset: the stack's own
  // SYN retry limit (131 s on Linux 6.5+ with its defaults, 127 s before).
  std::optional<Duration> timeout;
};

// A layer-3 tunnel interface: the OS routes IP packets into it (the packet
// handler sees them) and takes IP packets out of it (write_packet).
struct TunnelDeviceConfig {
  std::string name;                  // interface name, "wg0"
  std::vector<IpPrefix> addresses;   // assigned to the interface
  int mtu = 1420;                    // WireGuard's default
};

class TunnelDevice {
 public:
  using PacketHandler = std::function<void(ByteView ip_packet)>;
  virtual ~TunnelDevice() = default;  // removes the interface
  virtual const std::string& name() const = 0;
  virtual int mtu() const = 0;
  // Packets the OS sends into the tunnel (to be encrypted and sent).
  virtual void set_packet_handler(PacketHandler handler) = 0;
  // A decrypted packet from the tunnel, for the OS to deliver.
  virtual Result<void> write_packet(ByteView ip_packet) = 0;
  // Routes a prefix through this interface (wg-quick does so for AllowedIPs).
  virtual Result<void> add_route(const IpPrefix& prefix) = 0;
};

// For `ptr`, the name asked for is an address in its text form ("192.0.2.1",
// "2001:db8::1"): the driver builds the in-addr.arpa / ip6.arpa name
// (reverse_dns_name), so no app has to. A name that is not an address fails
// with invalid_argument, from the loop like any other answer.
enum class DnsRecordType { a, aaaa, mx, ptr };
const char* to_string(DnsRecordType type);

// The name PTR records for `address` live at: "1.2.0.192.in-addr.arpa",
// or 32 nibbles then "ip6.arpa" for v6 (RFC 1035 3.5, RFC 3596 2.5).
std::string reverse_dns_name(const IpAddress& address);

struct MxRecord {
  std::uint16_t preference = 0;
  std::string exchange;  // without the trailing dot
  bool operator==(const MxRecord& o) const { return preference == o.preference && exchange == o.exchange; }
};

struct DnsAnswer {
  std::vector<IpAddress> addresses;  // for a and aaaa
  std::vector<MxRecord> mx;          // for mx, in the order the server gave
  // For ptr: the address's names, without the trailing dot, in the order
  // the server gave (usually one; a resolver that only reports one, like
  // getnameinfo, gives that one).
  std::vector<std::string> names;
  Duration ttl;                      // the smallest TTL among the records
};

// Destroying a pending lookup guarantees its handler will not run.
class DnsLookup {
 public:
  virtual ~DnsLookup() = default;
};

class Host {
 public:
  virtual ~Host() = default;

  // --- time ---
  // Monotonic; never goes backwards.
  virtual Time now() const = 0;
  // Unix wall clock (simulated in ns-3, from a configurable epoch).
  virtual WallTime wall_now() const = 0;
  virtual std::unique_ptr<Timer> create_timer(std::function<void()> on_fire) = 0;
  // Runs `fn` from the loop soon, after the current callback returns.
  virtual void post(std::function<void()> fn) = 0;
  // Runs `work` away from the loop (on Linux a worker thread, so that
  // blocking file calls such as fsync overlap and the filesystem commits
  // them together), then `done` from the loop, never inside this call.
  // `work` must touch nothing but what it was given: not the Host, not app
  // state. Order between jobs is not guaranteed. Destroying the Host waits
  // for running work and drops pending `done`s. In simulation `work` runs at
  // once (file I/O takes no simulated time) and `done` is posted, so runs
  // stay deterministic.
  virtual void run_blocking(std::function<void()> work, std::function<void()> done) = 0;

  // --- UDP ---
  // Port 0 picks a free port; local_endpoint() tells which.
  virtual Result<std::unique_ptr<UdpSocket>> udp_bind(const Endpoint& local) = 0;

  // --- TCP ---
  virtual Result<std::unique_ptr<TcpListener>> tcp_listen(
      const Endpoint& local, std::function<void(std::unique_ptr<TcpStream>)> on_accept,
      const TcpListenOptions& options = {}) = 0;
  // Returns at once; the result comes through handlers.on_connected.
  virtual std::unique_ptr<TcpStream> tcp_connect(const Endpoint& remote, TcpStream::Handlers handlers,
                                                 const TcpConnectOptions& options = {}) = 0;

  // --- tunnel device ---
  virtual Result<std::unique_ptr<TunnelDevice>> open_tunnel(const TunnelDeviceConfig& config) = 0;

  // --- storage ---
  // A directory that belongs to this node (queue, maildirs, keys). Apps use
  // ordinary file calls under it: files are real in both worlds.
  virtual const std::filesystem::path& storage_root() const = 0;
  // How writes under it are made to last: every fsync of the queue and of
  // local delivery goes through it (core/durability.h). fsync(2) on Linux;
  // in simulation the host machine's disk is not the node's, so syncs are
  // recorded and skipped (the simulated disk's model plugs in there).
  virtual const Durability& durability() const = 0;

  // --- DNS ---
  // Errors: dns_nxdomain (the name does not exist; for ptr, no name for the
  // address), dns_no_data (it exists without records of that type),
  // dns_temporary (no answer, SERVFAIL, ...: worth asking again later),
  // invalid_argument (a malformed name or, for ptr, not an address).
  virtual std::unique_ptr<DnsLookup> dns_lookup(const std::string& name, DnsRecordType type,
                                                std::function<void(Result<DnsAnswer>)> on_answer) = 0;

  // --- randomness ---
  // Cryptographically strong on Linux; a seeded stream in simulation.
  virtual void random_bytes(MutableByteView out) = 0;

  // --- identity and logging ---
  virtual const std::string& hostname() const = 0;
  // Stamped with this host's now().
  virtual const Logger& logger() const = 0;

  // Conveniences over random_bytes.
  std::uint64_t random_u64();
  // Uniform in [0, bound); bound > 0.
  std::uint64_t random_below(std::uint64_t bound);
};

}  // namespace tether
