#include "host/host.h"

namespace tether {

const char* to_string(DnsRecordType type) {
  switch (type) {
    case DnsRecordType::a: return "A";
    case DnsRecordType::aaaa: return "AAAA";
    case DnsRecordType::mx: return "MX";
    case DnsRecordType::ptr: return "PTR";
  }
  return "?";
}

std::string reverse_dns_name(const IpAddress& address) {
  static const char kHex[] = "0123456789abcdef";
  std::string name;
  const std::uint8_t* b = address.bytes();
  if (address.is_v4()) {
    for (int i = 3; i >= 0; --i) name += std::to_string(b[i]) + ".";
    return name + "in-addr.arpa";
  }
  for (int i = 15; i >= 0; --i) {
    name += kHex[b[i] & 0x0f];
    name += '.';
    name += kHex[b[i] >> 4];
    name += '.';
  }
  return name + "ip6.arpa";
}

std::uint64_t Host::random_u64() {
  std::uint8_t b[8];
  random_bytes(MutableByteView(b, sizeof b));
  return load_le64(b);
}

std::uint64_t Host::random_below(std::uint64_t bound) {
  // Rejection sampling: a plain modulo would favour small values.
  std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    std::uint64_t v = random_u64();
    if (v < limit) return v % bound;
  }
}

}  // namespace tether
