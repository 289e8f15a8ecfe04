#pragma once
// Interface configuration through rtnetlink (the protocol `ip` speaks):
// addresses of both families, MTU, link state and routes, with one code path
// for IPv4 and IPv6 (the ioctl interface has none for IPv6 addresses).
//
// Requests are synchronous: the kernel answers at once, and configuration
// happens while a device is being opened, before any traffic flows. The
// socket lives in the calling thread's network namespace, like the TUN
// device it configures.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/endpoint.h"
#include "core/error.h"

namespace tether::posix {

class RtNetlink {
 public:
  static Result<RtNetlink> open();
  RtNetlink(RtNetlink&& other) noexcept;
  RtNetlink& operator=(RtNetlink&&) = delete;
  ~RtNetlink();

  // `what` prefixes the error message ("cannot add address 10.0.0.1/24 to 'wg0'").
  Result<void> set_mtu(int ifindex, int mtu, std::string_view what);
  Result<void> set_up(int ifindex, std::string_view what);
  Result<void> add_address(int ifindex, const IpPrefix& prefix, std::string_view what);
  Result<void> add_route(int ifindex, const IpPrefix& prefix, std::string_view what);

 private:
  explicit RtNetlink(int fd) : fd_(fd) {}
  // Sends one request with NLM_F_ACK and waits for its acknowledgement.
  Result<void> transact(void* message, std::size_t length, std::string_view what);

  int fd_ = -1;
  std::uint32_t sequence_ = 0;
};

}  // namespace tether::posix
