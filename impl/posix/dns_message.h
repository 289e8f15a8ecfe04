#pragma once
// DNS wire messages through libresolv: building a query (res_nmkquery) and
// reading the answer to it (ns_initparse / ns_parserr / dn_expand). No I/O
// here; dns_resolver.cc moves the bytes.

#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/endpoint.h"
#include "host/host.h"

namespace tether::posix {

struct DnsQuery {
  // As asked, without a trailing dot; for ptr, the reverse name the address
  // was turned into ("1.2.0.192.in-addr.arpa").
  std::string name;
  DnsRecordType type = DnsRecordType::a;
  std::uint16_t id = 0;
  Bytes wire;
};

// The name without its trailing dot; invalid_argument for an empty or
// malformed name (a label over 63 bytes, a name over 255), or for ptr a
// name that is not an IP address.
Result<DnsQuery> build_dns_query(const std::string& name, DnsRecordType type);

// The answer `response` gives to `query`, or nullopt when it is not a reply
// to this query at all (wrong ID, not a response, another question): such
// datagrams are ignored, as a spoofed or stray reply should be. `server`
// only names the source in messages.
std::optional<Result<DnsAnswer>> parse_dns_response(const DnsQuery& query, ByteView response,
                                                    const Endpoint& server);

// The first nameserver of /etc/resolv.conf, read afresh on every call: the
// file changes when a dynamic-IP host renews its DHCP lease.
Result<Endpoint> system_nameserver();

}  // namespace tether::posix
