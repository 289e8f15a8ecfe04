#include "posix/dns_resolver.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "posix/asio_endpoint.h"
#include "posix/dns_message.h"
#include "posix/socket_error.h"

namespace tether::posix {
namespace {

using boost::asio::ip::tcp;
using boost::asio::ip::udp;
using AnswerHandler = std::function<void(Result<DnsAnswer>)>;

// --- system resolver (A/AAAA) ---

struct SystemLookupState {
  explicit SystemLookupState(boost::asio::io_context& io) : resolver(io) {}
  tcp::resolver resolver;
  bool cancelled = false;
};

class SystemLookup final : public DnsLookup {
 public:
  explicit SystemLookup(std::shared_ptr<SystemLookupState> state) : state_(std::move(state)) {}
  ~SystemLookup() override {
    state_->cancelled = true;
    state_->resolver.cancel();
  }

 private:
  std::shared_ptr<SystemLookupState> state_;
};

Error system_resolver_error(const boost::system::error_code& ec, const std::string& what) {
  namespace e = boost::asio::error;
  if (ec == e::host_not_found)
    return Error(ErrorCode::dns_nxdomain, what + ": no such host (" + ec.message() + ")");
  if (ec == e::no_data) return Error(ErrorCode::dns_no_data, what + ": " + ec.message());
  return Error(ErrorCode::dns_temporary, what + ": " + ec.message());
}

// --- system resolver (PTR) ---

// Shared by the loop and a worker thread: the worker skips a lookup
// cancelled while it waited, the loop drops an answer to a cancelled one.
struct ReverseLookupState {
  std::atomic<bool> cancelled{false};
};

class ReverseLookup final : public DnsLookup {
 public:
  explicit ReverseLookup(std::shared_ptr<ReverseLookupState> state) : state_(std::move(state)) {}
  ~ReverseLookup() override { state_->cancelled = true; }

 private:
  std::shared_ptr<ReverseLookupState> state_;
};

// Runs on a worker thread: getnameinfo blocks for as long as the system's
// resolver takes.
Result<DnsAnswer> reverse_resolve(const IpAddress& address) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, address.bytes(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, address.bytes(), 16);
    length = sizeof(sockaddr_in6);
  }
  char host[NI_MAXHOST];
  // NI_NAMEREQD: no name is an error, not the address in text.
  const int rc = ::getnameinfo(reinterpret_cast<const sockaddr*>(&storage), length, host, sizeof host, nullptr,
                               0, NI_NAMEREQD);
  const std::string what = "PTR " + address.to_string();
  if (rc == EAI_NONAME) return Error(ErrorCode::dns_nxdomain, what + ": no name for this address");
  if (rc == EAI_SYSTEM) return Error(ErrorCode::dns_temporary, what + ": " + std::strerror(errno));
  if (rc != 0) return Error(ErrorCode::dns_temporary, what + ": " + ::gai_strerror(rc));
  std::string name = host;
  if (!name.empty() && name.back() == '.') name.pop_back();
  DnsAnswer answer;
  answer.names.push_back(std::move(name));
  answer.ttl = Duration::zero();  // getnameinfo does not report TTLs
  return answer;
}

// --- direct queries (MX, or anything with an explicit nameserver) ---

struct WireLookupState : std::enable_shared_from_this<WireLookupState> {
  WireLookupState(boost::asio::io_context& io, DnsQuery q, Endpoint ns, DnsResolverOptions o, AnswerHandler h,
                  Logger l)
      : socket(io),
        timer(io),
        query(std::move(q)),
        server(ns),
        options(o),
        on_answer(std::move(h)),
        log(std::move(l)),
        buffer(65536) {}

  udp::socket socket;
  boost::asio::steady_timer timer;
  DnsQuery query;
  Endpoint server;
  DnsResolverOptions options;
  AnswerHandler on_answer;
  Logger log;
  std::vector<std::uint8_t> buffer;
  int attempts_made = 0;
  bool done = false;

  std::string what() const { return std::string(to_string(query.type)) + " " + query.name; }

  void start() {
    boost::system::error_code ec;
    socket.open(server.address().is_v4() ? udp::v4() : udp::v6(), ec);
    // Connecting filters replies to the server's address and turns an ICMP
    // port-unreachable into ECONNREFUSED instead of a silent timeout.
    if (!ec) socket.connect(to_udp(server), ec);
    if (ec) return post_finish(asio_error(ec, "cannot query " + server.to_string() + " for " + what()));
    receive();
    send_attempt();
  }

  void send_attempt() {
    ++attempts_made;
    boost::system::error_code ec;
    socket.send(boost::asio::buffer(query.wire), 0, ec);
    if (ec)
      return post_finish(asio_error(ec, "cannot send DNS query for " + what() + " to " + server.to_string()));
    timer.expires_after(std::chrono::nanoseconds(options.timeout.ns()));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->done) return;
      if (self->attempts_made < self->options.attempts) return self->send_attempt();
      self->finish(
          Error(ErrorCode::dns_temporary, "no answer from " + self->server.to_string() + " for " +
                                              self->what() + " after " + std::to_string(self->attempts_made) +
                                              " attempt(s) of " + format_duration(self->options.timeout)));
    });
  }

  void receive() {
    socket.async_receive(
        boost::asio::buffer(buffer),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (self->done || ec == boost::asio::error::operation_aborted) return;
          if (ec) {
            Error error = asio_error(ec, "DNS query for " + self->what() + " to " + self->server.to_string());
            if (ec == boost::asio::error::connection_refused)
              error.message += " (no DNS server listening there?)";
            error.code = ErrorCode::dns_temporary;
            return self->finish(std::move(error));
          }
          auto answer = parse_dns_response(self->query, ByteView(self->buffer.data(), n), self->server);
          if (!answer) {
            self->log.debug("ignoring a datagram from " + self->server.to_string() +
                            " that does not answer " + self->what());
            return self->receive();
          }
          self->finish(std::move(*answer));
        });
  }

  void post_finish(Error error) {
    boost::asio::post(timer.get_executor(), [self = shared_from_this(), error = std::move(error)]() mutable {
      if (self->done) return;
      error.code = error.code == ErrorCode::invalid_argument ? error.code : ErrorCode::dns_temporary;
      self->finish(std::move(error));
    });
  }

  void finish(Result<DnsAnswer> result) {
    if (done) return;
    done = true;
    boost::system::error_code ignored;
    timer.cancel();
    socket.close(ignored);
    on_answer(std::move(result));
  }

  void cancel() {
    done = true;
    boost::system::error_code ignored;
    timer.cancel();
    socket.close(ignored);
  }
};

class WireLookup final : public DnsLookup {
 public:
  explicit WireLookup(std::shared_ptr<WireLookupState> state) : state_(std::move(state)) {}
  ~WireLookup() override {
    if (state_) state_->cancel();
  }

 private:
  std::shared_ptr<WireLookupState> state_;
};

// A lookup that failed before any I/O: the handler still runs from the loop.
struct FailedLookupState {
  bool cancelled = false;
};
class FailedLookup final : public DnsLookup {
 public:
  explicit FailedLookup(std::shared_ptr<FailedLookupState> state) : state_(std::move(state)) {}
  ~FailedLookup() override { state_->cancelled = true; }

 private:
  std::shared_ptr<FailedLookupState> state_;
};

std::unique_ptr<DnsLookup> post_failure(boost::asio::io_context& io, Error error, AnswerHandler on_answer) {
  auto state = std::make_shared<FailedLookupState>();
  boost::asio::post(io, [state, error = std::move(error), on_answer = std::move(on_answer)]() mutable {
    if (!state->cancelled) on_answer(std::move(error));
  });
  return std::make_unique<FailedLookup>(std::move(state));
}

}  // namespace

DnsResolver::DnsResolver(boost::asio::io_context& io, DnsResolverOptions options, Logger log)
    : io_(io), options_(std::move(options)), log_(std::move(log)) {
  if (options_.attempts < 1) options_.attempts = 1;
}

DnsResolver::~DnsResolver() {
  if (!reverse_workers_) return;
  reverse_workers_->stop();
  reverse_workers_->join();
}

std::unique_ptr<DnsLookup> DnsResolver::lookup(const std::string& name, DnsRecordType type,
                                               AnswerHandler on_answer) {
  if (type == DnsRecordType::mx || options_.nameserver) return wire_lookup(name, type, std::move(on_answer));
  if (type == DnsRecordType::ptr) return system_reverse_lookup(name, std::move(on_answer));
  return system_lookup(name, type, std::move(on_answer));
}

std::unique_ptr<DnsLookup> DnsResolver::system_lookup(const std::string& name, DnsRecordType type,
                                                      AnswerHandler on_answer) {
  auto state = std::make_shared<SystemLookupState>(io_);
  const std::string what = std::string(to_string(type)) + " " + name;
  const bool want_v4 = type == DnsRecordType::a;
  // No AI_ADDRCONFIG (Asio's default): a host without IPv6 connectivity may
  // still want to know a peer's AAAA record.
  state->resolver.async_resolve(
      want_v4 ? tcp::v4() : tcp::v6(), name, "", tcp::resolver::flags(),
      [state, what, want_v4, on_answer = std::move(on_answer)](const boost::system::error_code& ec,
                                                               tcp::resolver::results_type results) {
        if (state->cancelled || ec == boost::asio::error::operation_aborted) return;
        if (ec) return on_answer(system_resolver_error(ec, what));
        DnsAnswer answer;
        for (const auto& entry : results) {
          IpAddress a = from_asio(entry.endpoint().address());
          if (a.is_v4() != want_v4) continue;
          if (std::find(answer.addresses.begin(), answer.addresses.end(), a) == answer.addresses.end())
            answer.addresses.push_back(a);
        }
        if (answer.addresses.empty())
          return on_answer(Error(ErrorCode::dns_no_data, what + ": no addresses"));
        // getaddrinfo does not report TTLs: zero means "unknown, ask again
        // whenever it matters".
        answer.ttl = Duration::zero();
        on_answer(std::move(answer));
      });
  return std::make_unique<SystemLookup>(std::move(state));
}

std::unique_ptr<DnsLookup> DnsResolver::system_reverse_lookup(const std::string& name, AnswerHandler on_answer) {
  auto address = IpAddress::parse(name);
  if (!address)
    return post_failure(
        io_, Error(ErrorCode::invalid_argument, "a PTR lookup needs an IP address, not '" + name + "'"),
        std::move(on_answer));
  // A few threads, not one: every accepted SMTP client costs a PTR lookup,
  // and one slow reverse zone must not hold up the others' answers.
  if (!reverse_workers_) reverse_workers_ = std::make_unique<boost::asio::thread_pool>(4);
  auto state = std::make_shared<ReverseLookupState>();
  boost::asio::post(*reverse_workers_, [&io = io_, state, address = *address,
                                        on_answer = std::move(on_answer)]() mutable {
    std::optional<Result<DnsAnswer>> result;
    if (!state->cancelled) result = reverse_resolve(address);
    // Back to the loop even when cancelled, so that the handler (and what
    // it holds) is destroyed there, never on this thread. io outlives the
    // workers: ~DnsResolver joins them.
    boost::asio::post(io, [state, result = std::move(result), on_answer = std::move(on_answer)]() mutable {
      if (!state->cancelled && result) on_answer(std::move(*result));
    });
  });
  return std::make_unique<ReverseLookup>(std::move(state));
}

std::unique_ptr<DnsLookup> DnsResolver::wire_lookup(const std::string& name, DnsRecordType type,
                                                    AnswerHandler on_answer) {
  auto query = build_dns_query(name, type);
  if (!query) return post_failure(io_, query.error(), std::move(on_answer));
  Endpoint server;
  if (options_.nameserver) {
    server = *options_.nameserver;
  } else {
    auto system = system_nameserver();
    if (!system) return post_failure(io_, system.error(), std::move(on_answer));
    server = *system;
  }
  auto state =
      std::make_shared<WireLookupState>(io_, std::move(*query), server, options_, std::move(on_answer), log_);
  state->start();
  return std::make_unique<WireLookup>(std::move(state));
}

}  // namespace tether::posix
