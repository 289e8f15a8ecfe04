#pragma once
// IP addresses, prefixes and transport endpoints (address + port) in the
// textual forms users write in wg-quick and smtpd.conf files:
// "1.2.3.4:51820", "[2001:db8::1]:51820", "10.0.0.0/24", "2001:db8::/32".

#include <array>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

#include "core/error.h"

namespace tether {

class IpAddress {
 public:
  enum class Family : std::uint8_t { v4, v6 };

  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v4_bytes(const std::uint8_t bytes[4]);
  static IpAddress v6_bytes(const std::uint8_t bytes[16]);
  static IpAddress any(Family family) { return family == Family::v4 ? IpAddress() : v6_bytes(kZero16); }
  static IpAddress loopback(Family family);

  // "192.0.2.1", "2001:db8::1" (no brackets, no port, no zone).
  static Result<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  bool is_v6() const { return family_ == Family::v6; }
  // Network byte order; 4 meaningful bytes for v4, 16 for v6.
  const std::uint8_t* bytes() const { return bytes_.data(); }
  std::size_t size() const { return is_v4() ? 4 : 16; }
  std::uint32_t v4_host_order() const;
  bool is_unspecified() const;
  bool is_loopback() const;

  std::string to_string() const;

  bool operator==(const IpAddress& o) const { return family_ == o.family_ && bytes_ == o.bytes_; }
  bool operator!=(const IpAddress& o) const { return !(*this == o); }
  bool operator<(const IpAddress& o) const {
    return family_ != o.family_ ? family_ < o.family_ : bytes_ < o.bytes_;
  }

 private:
  static constexpr std::uint8_t kZero16[16] = {};
  Family family_ = Family::v4;
  std::array<std::uint8_t, 16> bytes_{};
};

// An address with a prefix length: AllowedIPs entries, interface addresses.
class IpPrefix {
 public:
  IpPrefix() = default;
  IpPrefix(IpAddress address, int length) : address_(address), length_(length) {}
  // "10.0.0.1/24", "2001:db8::/32"; a bare address means a host prefix (/32, /128).
  static Result<IpPrefix> parse(std::string_view text);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  // The same prefix with host bits cleared ("10.0.0.1/24" -> "10.0.0.0/24").
  IpPrefix network() const;
  bool contains(const IpAddress& a) const;
  std::string to_string() const;
  bool operator==(const IpPrefix& o) const { return address_ == o.address_ && length_ == o.length_; }

 private:
  IpAddress address_;
  int length_ = 0;
};

class Endpoint {
 public:
  Endpoint() = default;
  Endpoint(IpAddress address, std::uint16_t port) : address_(address), port_(port) {}
  // "1.2.3.4:51820" or "[2001:db8::1]:51820". Errors name what is wrong.
  static Result<Endpoint> parse(std::string_view text);

  const IpAddress& address() const { return address_; }
  std::uint16_t port() const { return port_; }
  std::string to_string() const;

  bool operator==(const Endpoint& o) const { return address_ == o.address_ && port_ == o.port_; }
  bool operator!=(const Endpoint& o) const { return !(*this == o); }
  bool operator<(const Endpoint& o) const {
    return address_ != o.address_ ? address_ < o.address_ : port_ < o.port_;
  }

 private:
  IpAddress address_;
  std::uint16_t port_ = 0;
};

// Parses a port number "0".."65535"; `what` names it in errors.
std::ostream& operator<<(std::ostream& os, const IpAddress& a);
std::ostream& operator<<(std::ostream& os, const IpPrefix& p);
std::ostream& operator<<(std::ostream& os, const Endpoint& e);

Result<std::uint16_t> parse_port(std::string_view text, std::string_view what);

}  // namespace tether

template <>
struct std::hash<tether::IpAddress> {
  std::size_t operator()(const tether::IpAddress& a) const noexcept;
};
template <>
struct std::hash<tether::Endpoint> {
  std::size_t operator()(const tether::Endpoint& e) const noexcept;
};
