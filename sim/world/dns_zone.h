#pragma once
// The records a simulated resolver answers from: A, AAAA and MX by name,
// PTR by address (kept at the address's in-addr.arpa / ip6.arpa name, as a
// real zone keeps them).
// The world owns the zone and may change it while the simulation runs (an
// ISP handing the home host a new address, a DNS update); hosts read it at
// the moment a lookup is answered, so a change is seen from then on.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.h"
#include "core/error.h"
#include "core/time.h"
#include "host/host.h"
#include "sim/host/zone_resolver.h"

namespace tether::sim {

class DnsZone : public DnsAnswerSource {
 public:
  static constexpr Duration kDefaultTtl = Duration::seconds(300);

  // An A record for a v4 address, AAAA for v6. Adding an existing record
  // again only updates its TTL.
  void add_address(std::string_view name, const IpAddress& address, Duration ttl = kDefaultTtl);
  void add_mx(std::string_view name, std::uint16_t preference, std::string_view exchange,
              Duration ttl = kDefaultTtl);
  // A PTR record: `address`'s reverse name is `name`. Nothing checks that
  // `name` leads back to the address (that is what fcrdns tests).
  void add_ptr(const IpAddress& address, std::string_view name, Duration ttl = kDefaultTtl);
  // Removes every record of `type` at `name` (for ptr, the address in text);
  // the name stays known (later lookups of that type answer dns_no_data)
  // while it has other records.
  void remove(std::string_view name, DnsRecordType type);
  // Replaces the A (v4) or AAAA (v6) records at `name` with `addresses`,
  // all of that family (a dynamic IP change); empty removes them.
  void set_addresses(std::string_view name, IpAddress::Family family,
                     const std::vector<IpAddress>& addresses, Duration ttl = kDefaultTtl);

  // dns_nxdomain for a name with no records, dns_no_data for a name without
  // records of that type; MX and PTR records in the order they were added,
  // the way a server gives them (not sorted: that is the client's job). For
  // ptr, `name` is the address in text (Host::dns_lookup's contract);
  // anything else is invalid_argument.
  Result<DnsAnswer> lookup(std::string_view name, DnsRecordType type) const override;

  // DNS names compare case-insensitively and "example.org." is "example.org".
  static std::string canonical_name(std::string_view name);

 private:
  template <typename T>
  struct Record {
    T value;
    Duration ttl;
  };
  struct Node {
    std::vector<Record<IpAddress>> a;
    std::vector<Record<IpAddress>> aaaa;
    std::vector<Record<MxRecord>> mx;
    std::vector<Record<std::string>> ptr;
    bool empty() const { return a.empty() && aaaa.empty() && mx.empty() && ptr.empty(); }
  };
  // Where records of `type` asked for by `name` live: the name itself, or
  // for ptr the address's reverse name.
  static Result<std::string> owner(std::string_view name, DnsRecordType type);
  std::map<std::string, Node> names_;
};

}  // namespace tether::sim
