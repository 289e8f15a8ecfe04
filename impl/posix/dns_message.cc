#include "posix/dns_message.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/ascii.h"

namespace tether::posix {
namespace {

ns_type wire_type(DnsRecordType type) {
  switch (type) {
    case DnsRecordType::a: return ns_t_a;
    case DnsRecordType::aaaa: return ns_t_aaaa;
    case DnsRecordType::mx: return ns_t_mx;
    case DnsRecordType::ptr: return ns_t_ptr;
  }
  return ns_t_a;
}

std::string strip_dot(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// A res_state initialised from resolv.conf and released on every path.
class ResolverState {
 public:
  ResolverState() { ok_ = res_ninit(&state_) == 0; }
  ~ResolverState() { res_nclose(&state_); }
  ResolverState(const ResolverState&) = delete;
  ResolverState& operator=(const ResolverState&) = delete;
  bool ok() const { return ok_; }
  res_state get() { return &state_; }

 private:
  struct __res_state state_ {};
  bool ok_ = false;
};

std::string describe(const DnsQuery& q) {
  return std::string(to_string(q.type)) + " " + q.name;
}

}  // namespace

Result<DnsQuery> build_dns_query(const std::string& name, DnsRecordType type) {
  DnsQuery query;
  query.name = strip_dot(name);
  query.type = type;
  if (query.name.empty()) return Error(ErrorCode::invalid_argument, "cannot look up an empty DNS name");
  if (type == DnsRecordType::ptr) {
    auto address = IpAddress::parse(name);
    if (!address)
      return Error(ErrorCode::invalid_argument, "a PTR lookup needs an IP address, not '" + name + "'");
    query.name = reverse_dns_name(*address);
  }
  ResolverState resolver;
  if (!resolver.ok()) return Error(ErrorCode::internal, "res_ninit failed; cannot build a DNS query");
  std::uint8_t buffer[NS_PACKETSZ];
  int n = res_nmkquery(resolver.get(), ns_o_query, query.name.c_str(), ns_c_in, wire_type(type), nullptr, 0,
                       nullptr, buffer, sizeof buffer);
  if (n < NS_HFIXEDSZ) return Error(ErrorCode::invalid_argument, "'" + name + "' is not a valid DNS name");
  query.wire.assign(buffer, buffer + n);
  query.id = static_cast<std::uint16_t>(ns_get16(buffer));
  return query;
}

std::optional<Result<DnsAnswer>> parse_dns_response(const DnsQuery& query, ByteView response,
                                                    const Endpoint& server) {
  ns_msg message;
  if (ns_initparse(response.data(), static_cast<int>(response.size()), &message) < 0) return std::nullopt;
  if (ns_msg_id(message) != query.id || !ns_msg_getflag(message, ns_f_qr)) return std::nullopt;
  if (ns_msg_count(message, ns_s_qd) != 1) return std::nullopt;
  ns_rr question;
  if (ns_parserr(&message, ns_s_qd, 0, &question) < 0) return std::nullopt;
  // Servers echo the question; names compare case-insensitively.
  if (!ascii_iequals(strip_dot(ns_rr_name(question)), query.name) ||
      ns_rr_type(question) != wire_type(query.type) || ns_rr_class(question) != ns_c_in)
    return std::nullopt;

  const std::string from = " (from " + server.to_string() + ")";
  switch (ns_msg_getflag(message, ns_f_rcode)) {
    case ns_r_noerror: break;
    case ns_r_nxdomain:
      return Result<DnsAnswer>(
          Error(ErrorCode::dns_nxdomain, query.name + ": no such domain (NXDOMAIN)" + from));
    case ns_r_servfail:
      return Result<DnsAnswer>(
          Error(ErrorCode::dns_temporary, describe(query) + ": server failure (SERVFAIL)" + from));
    case ns_r_refused:
      return Result<DnsAnswer>(
          Error(ErrorCode::dns_temporary, describe(query) + ": query refused (REFUSED)" + from));
    default:
      return Result<DnsAnswer>(
          Error(ErrorCode::dns_temporary, describe(query) + ": server answered with rcode " +
                                              std::to_string(ns_msg_getflag(message, ns_f_rcode)) + from));
  }
  // A truncated answer may lack records (the lowest-preference MX, say), and
  // acting on part of an MX list would pick the wrong relay; this resolver
  // has no TCP fallback, so it is a temporary failure.
  if (ns_msg_getflag(message, ns_f_tc))
    return Result<DnsAnswer>(
        Error(ErrorCode::dns_temporary,
              describe(query) + ": answer truncated and TCP fallback is not supported" + from));

  // Records of the type asked for count if their owner is the name asked
  // for or an alias it leads to through the CNAMEs in the same answer.
  const int count = ns_msg_count(message, ns_s_an);
  std::map<std::string, std::pair<std::string, std::uint32_t>> cname;  // owner -> (target, ttl)
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&message, ns_s_an, i, &rr) < 0) break;
    if (ns_rr_type(rr) != ns_t_cname || ns_rr_class(rr) != ns_c_in) continue;
    char target[NS_MAXDNAME];
    if (dn_expand(ns_msg_base(message), ns_msg_end(message), ns_rr_rdata(rr), target, sizeof target) < 0)
      continue;
    cname[ascii_lower(strip_dot(ns_rr_name(rr)))] = {ascii_lower(strip_dot(target)), ns_rr_ttl(rr)};
  }
  std::set<std::string> owners;
  std::uint32_t ttl = UINT32_MAX;
  std::string owner = ascii_lower(query.name);
  for (int hops = 0; owners.insert(owner).second && hops < 16; ++hops) {
    auto next = cname.find(owner);
    if (next == cname.end()) break;
    ttl = std::min(ttl, next->second.second);
    owner = next->second.first;
  }

  DnsAnswer answer;
  bool found = false;
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&message, ns_s_an, i, &rr) < 0)
      return Result<DnsAnswer>(
          Error(ErrorCode::dns_temporary, describe(query) + ": malformed answer" + from));
    if (ns_rr_type(rr) != wire_type(query.type) || ns_rr_class(rr) != ns_c_in) continue;
    if (!owners.count(ascii_lower(strip_dot(ns_rr_name(rr))))) continue;
    const std::uint8_t* rdata = ns_rr_rdata(rr);
    const std::size_t rdlen = ns_rr_rdlen(rr);
    switch (query.type) {
      case DnsRecordType::a:
        if (rdlen != 4) continue;
        answer.addresses.push_back(IpAddress::v4_bytes(rdata));
        break;
      case DnsRecordType::aaaa:
        if (rdlen != 16) continue;
        answer.addresses.push_back(IpAddress::v6_bytes(rdata));
        break;
      case DnsRecordType::mx: {
        if (rdlen < 3) continue;
        char exchange[NS_MAXDNAME];
        if (dn_expand(ns_msg_base(message), ns_msg_end(message), rdata + 2, exchange, sizeof exchange) < 0)
          continue;
        MxRecord mx;
        mx.preference = static_cast<std::uint16_t>(ns_get16(rdata));
        // A null MX (RFC 7505) has the root as exchange: "." becomes "".
        mx.exchange = strip_dot(exchange);
        answer.mx.push_back(std::move(mx));
        break;
      }
      case DnsRecordType::ptr: {
        char target[NS_MAXDNAME];
        if (dn_expand(ns_msg_base(message), ns_msg_end(message), rdata, target, sizeof target) < 0) continue;
        answer.names.push_back(strip_dot(target));
        break;
      }
    }
    ttl = std::min(ttl, ns_rr_ttl(rr));
    found = true;
  }
  if (!found)
    return Result<DnsAnswer>(
        Error(ErrorCode::dns_no_data, query.name + " has no " + to_string(query.type) + " record" + from));
  answer.ttl = Duration::seconds(ttl);
  return Result<DnsAnswer>(std::move(answer));
}

Result<Endpoint> system_nameserver() {
  ResolverState resolver;
  if (!resolver.ok())
    return Error(ErrorCode::dns_temporary, "cannot read /etc/resolv.conf (res_ninit failed)");
  res_state s = resolver.get();
  for (int i = 0; i < s->nscount && i < MAXNS; ++i) {
    const sockaddr_in& v4 = s->nsaddr_list[i];
    if (v4.sin_family == AF_INET) {
      return Endpoint(IpAddress::v4_bytes(reinterpret_cast<const std::uint8_t*>(&v4.sin_addr)),
                      ntohs(v4.sin_port));
    }
    // glibc keeps IPv6 nameservers in the extension area.
    const sockaddr_in6* v6 = s->_u._ext.nsaddrs[i];
    if (v6 && v6->sin6_family == AF_INET6)
      return Endpoint(IpAddress::v6_bytes(v6->sin6_addr.s6_addr), ntohs(v6->sin6_port));
  }
  return Error(ErrorCode::dns_temporary, "no nameserver configured in /etc/resolv.conf");
}

}  // namespace tether::posix
