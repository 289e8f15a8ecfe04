#include "posix/dns_resolver.h"

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

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

std::unique_ptr<DnsLookup> DnsResolver::lookup(const std::string& name, DnsRecordType type,
                                               AnswerHandler on_answer) {
  if (type == DnsRecordType::mx || options_.nameserver) return wire_lookup(name, type, std::move(on_answer));
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
