#pragma once
// Host DNS lookups. A and AAAA go through the system resolver (getaddrinfo
// on Asio's resolver thread, so /etc/hosts and nsswitch apply) unless an
// explicit nameserver is configured, and so does PTR (getnameinfo with
// NI_NAMEREQD on this resolver's own worker threads: Asio's reverse resolve
// falls back to the numeric address, which would read as a name). MX, and
// everything when a nameserver is configured, are queried directly over UDP
// with libresolv's message code, because getaddrinfo cannot ask for MX and
// the relay needs the answer's rcode (NXDOMAIN is permanent, SERVFAIL is not).

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "host/host.h"

namespace tether::posix {

struct DnsResolverOptions {
  // Unset: A/AAAA/PTR via the system resolver, MX via resolv.conf's first
  // server.
  std::optional<Endpoint> nameserver;
  Duration timeout = Duration::seconds(2);  // per attempt
  int attempts = 2;
};

class DnsResolver {
 public:
  DnsResolver(boost::asio::io_context& io, DnsResolverOptions options, Logger log);
  // Waits for getnameinfo calls already running (each bounded by resolv.conf's
  // timeout and attempts, as Asio's resolver thread is); queued ones are dropped.
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  std::unique_ptr<DnsLookup> lookup(const std::string& name, DnsRecordType type,
                                    std::function<void(Result<DnsAnswer>)> on_answer);

 private:
  std::unique_ptr<DnsLookup> system_lookup(const std::string& name, DnsRecordType type,
                                           std::function<void(Result<DnsAnswer>)> on_answer);
  std::unique_ptr<DnsLookup> system_reverse_lookup(const std::string& name,
                                                   std::function<void(Result<DnsAnswer>)> on_answer);
  std::unique_ptr<DnsLookup> wire_lookup(const std::string& name, DnsRecordType type,
                                         std::function<void(Result<DnsAnswer>)> on_answer);

  boost::asio::io_context& io_;
  DnsResolverOptions options_;
  Logger log_;
  // getnameinfo blocks; started at the first system PTR lookup.
  std::unique_ptr<boost::asio::thread_pool> reverse_workers_;
};

}  // namespace tether::posix
