#include "lab/world/zone_config.h"

#include <set>

#include "host/host.h"

namespace tether::lab {
namespace {

std::string ttl_text(Duration ttl) { return std::to_string(std::max<std::int64_t>(0, ttl.whole_seconds())); }

}  // namespace

std::string dnsmasq_zone_config(const scenario::Scenario& scenario) {
  std::string c =
      "# The zone of " + scenario.source.filename().string() + " (tether lab, lab/world/zone_config.h)\n"
      "no-resolv\nno-hosts\nno-poll\nlocal=/#/\nlocal-ttl=300\n"
      // Every dnsmasq of the run reads this file; each listens on its own
      // namespace's loopback.
      "bind-interfaces\nlisten-address=127.0.0.1\nport=53\n"
      // The lab runs as root; staying root keeps the run directory private.
      "user=root\n";
  std::set<IpAddress> named;
  for (const scenario::DnsRecordSpec& r : scenario.dns) {
    if (r.type == scenario::DnsRecordSpec::Type::mx) {
      c += "mx-host=" + r.name + "," + r.exchange + "," + std::to_string(r.preference) + "\n";
      continue;
    }
    c += "host-record=" + r.name + "," + r.address.to_string() + "," + ttl_text(r.ttl) + "\n";
    named.insert(r.address);
  }
  for (const scenario::HostSpec& h : scenario.hosts)
    if (named.insert(h.address).second) c += "ptr-record=" + reverse_dns_name(h.address) + "," + h.hostname + "\n";
  return c;
}

}  // namespace tether::lab
