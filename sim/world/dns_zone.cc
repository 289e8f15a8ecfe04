#include "sim/world/dns_zone.h"

#include <algorithm>

#include "core/ascii.h"

namespace tether::sim {
namespace {

template <typename T>
void upsert(std::vector<T>& records, T record) {
  for (auto& r : records)
    if (r.value == record.value) {
      r.ttl = record.ttl;
      return;
    }
  records.push_back(std::move(record));
}

template <typename T>
Duration smallest_ttl(const std::vector<T>& records) {
  Duration ttl = Duration::infinite();
  for (const auto& r : records) ttl = std::min(ttl, r.ttl);
  return ttl;
}

}  // namespace

std::string DnsZone::canonical_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return ascii_lower(name);
}

void DnsZone::add_address(std::string_view name, const IpAddress& address, Duration ttl) {
  Node& node = names_[canonical_name(name)];
  upsert(address.is_v4() ? node.a : node.aaaa, Record<IpAddress>{address, ttl});
}

void DnsZone::add_mx(std::string_view name, std::uint16_t preference, std::string_view exchange,
                     Duration ttl) {
  MxRecord mx;
  mx.preference = preference;
  mx.exchange = canonical_name(exchange);
  upsert(names_[canonical_name(name)].mx, Record<MxRecord>{mx, ttl});
}

void DnsZone::add_ptr(const IpAddress& address, std::string_view name, Duration ttl) {
  upsert(names_[reverse_dns_name(address)].ptr, Record<std::string>{canonical_name(name), ttl});
}

Result<std::string> DnsZone::owner(std::string_view name, DnsRecordType type) {
  if (type != DnsRecordType::ptr) return canonical_name(name);
  auto address = IpAddress::parse(name);
  if (!address)
    return Error(ErrorCode::invalid_argument, "a PTR lookup needs an IP address, not '" + std::string(name) + "'");
  return reverse_dns_name(*address);
}

void DnsZone::remove(std::string_view name, DnsRecordType type) {
  auto key = owner(name, type);
  if (!key) return;
  auto it = names_.find(*key);
  if (it == names_.end()) return;
  switch (type) {
    case DnsRecordType::a: it->second.a.clear(); break;
    case DnsRecordType::aaaa: it->second.aaaa.clear(); break;
    case DnsRecordType::mx: it->second.mx.clear(); break;
    case DnsRecordType::ptr: it->second.ptr.clear(); break;
  }
  if (it->second.empty()) names_.erase(it);
}

void DnsZone::set_addresses(std::string_view name, IpAddress::Family family,
                            const std::vector<IpAddress>& addresses, Duration ttl) {
  std::string key = canonical_name(name);
  Node& node = names_[key];
  auto& records = family == IpAddress::Family::v4 ? node.a : node.aaaa;
  records.clear();
  for (const IpAddress& a : addresses)
    if (a.family() == family) upsert(records, Record<IpAddress>{a, ttl});
  if (node.empty()) names_.erase(key);
}

Result<DnsAnswer> DnsZone::lookup(std::string_view name, DnsRecordType type) const {
  auto owned = owner(name, type);
  if (!owned) return owned.error();
  const std::string& key = *owned;
  auto it = names_.find(key);
  if (it == names_.end()) return Error(ErrorCode::dns_nxdomain, "no such name: " + key);
  const Node& node = it->second;
  DnsAnswer answer;
  switch (type) {
    case DnsRecordType::a:
    case DnsRecordType::aaaa: {
      const auto& records = type == DnsRecordType::a ? node.a : node.aaaa;
      if (records.empty()) break;
      for (const auto& r : records) answer.addresses.push_back(r.value);
      answer.ttl = smallest_ttl(records);
      return answer;
    }
    case DnsRecordType::mx:
      if (node.mx.empty()) break;
      for (const auto& r : node.mx) answer.mx.push_back(r.value);
      answer.ttl = smallest_ttl(node.mx);
      return answer;
    case DnsRecordType::ptr:
      if (node.ptr.empty()) break;
      for (const auto& r : node.ptr) answer.names.push_back(r.value);
      answer.ttl = smallest_ttl(node.ptr);
      return answer;
  }
  return Error(ErrorCode::dns_no_data, key + " has no " + to_string(type) + " record");
}

}  // namespace tether::sim
