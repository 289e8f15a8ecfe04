#include "core/endpoint.h"

#include <arpa/inet.h>

#include <cstring>
#include <ostream>

namespace tether {

IpAddress IpAddress::v4(std::uint32_t host_order) {
  std::uint8_t b[4] = {std::uint8_t(host_order >> 24), std::uint8_t(host_order >> 16),
                       std::uint8_t(host_order >> 8), std::uint8_t(host_order)};
  return v4_bytes(b);
}

IpAddress IpAddress::v4_bytes(const std::uint8_t bytes[4]) {
  IpAddress a;
  a.family_ = Family::v4;
  std::memcpy(a.bytes_.data(), bytes, 4);
  return a;
}

IpAddress IpAddress::v6_bytes(const std::uint8_t bytes[16]) {
  IpAddress a;
  a.family_ = Family::v6;
  std::memcpy(a.bytes_.data(), bytes, 16);
  return a;
}

IpAddress IpAddress::loopback(Family family) {
  if (family == Family::v4) return v4(0x7f000001);
  std::uint8_t b[16] = {};
  b[15] = 1;
  return v6_bytes(b);
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  if (s.empty()) return Error(ErrorCode::invalid_argument, "empty IP address");
  std::uint8_t buf[16];
  if (s.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return v6_bytes(buf);
    return Error(ErrorCode::invalid_argument, "'" + s + "' is not a valid IPv6 address");
  }
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return v4_bytes(buf);
  return Error(ErrorCode::invalid_argument, "'" + s + "' is not a valid IPv4 address");
}

std::uint32_t IpAddress::v4_host_order() const {
  return std::uint32_t(bytes_[0]) << 24 | std::uint32_t(bytes_[1]) << 16 | std::uint32_t(bytes_[2]) << 8 |
         bytes_[3];
}

bool IpAddress::is_unspecified() const {
  for (std::size_t i = 0; i < size(); ++i)
    if (bytes_[i]) return false;
  return true;
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  return *this == loopback(Family::v6);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  std::size_t slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return address.error();
  int max = address->is_v4() ? 32 : 128;
  if (slash == std::string_view::npos) return IpPrefix(*address, max);
  std::string_view len_text = text.substr(slash + 1);
  if (len_text.empty() || len_text.size() > 3)
    return Error(ErrorCode::invalid_argument, "bad prefix length in '" + std::string(text) + "'");
  int len = 0;
  for (char c : len_text) {
    if (c < '0' || c > '9')
      return Error(ErrorCode::invalid_argument, "bad prefix length in '" + std::string(text) + "'");
    len = len * 10 + (c - '0');
  }
  if (len > max)
    return Error(ErrorCode::invalid_argument, "prefix length " + std::to_string(len) + " exceeds " +
                                                  std::to_string(max) + " in '" + std::string(text) + "'");
  return IpPrefix(*address, len);
}

IpPrefix IpPrefix::network() const {
  std::uint8_t b[16];
  std::memcpy(b, address_.bytes(), address_.size());
  for (int bit = length_; bit < int(address_.size() * 8); ++bit) b[bit / 8] &= std::uint8_t(~(0x80 >> (bit % 8)));
  return IpPrefix(address_.is_v4() ? IpAddress::v4_bytes(b) : IpAddress::v6_bytes(b), length_);
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != address_.family()) return false;
  int full = length_ / 8;
  if (std::memcmp(a.bytes(), address_.bytes(), full) != 0) return false;
  int rest = length_ % 8;
  if (rest == 0) return true;
  std::uint8_t mask = std::uint8_t(0xff << (8 - rest));
  return (a.bytes()[full] & mask) == (address_.bytes()[full] & mask);
}

std::string IpPrefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

Result<std::uint16_t> parse_port(std::string_view text, std::string_view what) {
  if (text.empty()) return Error(ErrorCode::invalid_argument, "missing port in '" + std::string(what) + "'");
  std::uint32_t port = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || text.size() > 5)
      return Error(ErrorCode::invalid_argument,
                   "bad port '" + std::string(text) + "' in '" + std::string(what) + "'");
    port = port * 10 + std::uint32_t(c - '0');
  }
  if (port > 65535)
    return Error(ErrorCode::invalid_argument,
                 "port " + std::to_string(port) + " out of range (0-65535) in '" + std::string(what) + "'");
  return std::uint16_t(port);
}

Result<Endpoint> Endpoint::parse(std::string_view text) {
  std::string whole(text);
  if (text.empty()) return Error(ErrorCode::invalid_argument, "empty endpoint");
  std::string_view host, port;
  if (text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos)
      return Error(ErrorCode::invalid_argument, "missing ']' in endpoint '" + whole + "'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return Error(ErrorCode::invalid_argument, "missing ':port' after ']' in endpoint '" + whole + "'");
    port = text.substr(close + 2);
    auto address = IpAddress::parse(host);
    if (!address) return Error(ErrorCode::invalid_argument, address.error().message + " in endpoint '" + whole + "'");
    if (!address->is_v6())
      return Error(ErrorCode::invalid_argument, "brackets are for IPv6 addresses, in endpoint '" + whole + "'");
    auto p = parse_port(port, whole);
    if (!p) return p.error();
    return Endpoint(*address, *p);
  }
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return Error(ErrorCode::invalid_argument, "missing ':port' in endpoint '" + whole + "'");
  if (text.find(':') != colon)
    return Error(ErrorCode::invalid_argument,
                 "IPv6 endpoint needs brackets, as '[2001:db8::1]:51820', in '" + whole + "'");
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  auto address = IpAddress::parse(host);
  if (!address) return Error(ErrorCode::invalid_argument, address.error().message + " in endpoint '" + whole + "'");
  auto p = parse_port(port, whole);
  if (!p) return p.error();
  return Endpoint(*address, *p);
}

std::string Endpoint::to_string() const {
  if (address_.is_v6()) return "[" + address_.to_string() + "]:" + std::to_string(port_);
  return address_.to_string() + ":" + std::to_string(port_);
}

std::ostream& operator<<(std::ostream& os, const IpAddress& a) { return os << a.to_string(); }
std::ostream& operator<<(std::ostream& os, const IpPrefix& p) { return os << p.to_string(); }
std::ostream& operator<<(std::ostream& os, const Endpoint& e) { return os << e.to_string(); }

}  // namespace tether

std::size_t std::hash<tether::IpAddress>::operator()(const tether::IpAddress& a) const noexcept {
  // FNV-1a over family and bytes: cheap, and good enough for table keys.
  std::size_t h = 1469598103934665603ULL ^ std::size_t(a.family());
  for (std::size_t i = 0; i < a.size(); ++i) h = (h ^ a.bytes()[i]) * 1099511628211ULL;
  return h;
}

std::size_t std::hash<tether::Endpoint>::operator()(const tether::Endpoint& e) const noexcept {
  return std::hash<tether::IpAddress>()(e.address()) * 31 + e.port();
}
