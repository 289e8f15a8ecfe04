#include "posix/rtnetlink.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "posix/socket_error.h"

namespace tether::posix {
namespace {

// One request: header, the fixed part for its type, then attributes. Small
// enough for everything this file sends (two addresses and an index).
class Request {
 public:
  Request(std::uint16_t type, std::uint16_t flags, const void* body, std::size_t body_length) {
    header()->nlmsg_type = type;
    header()->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    std::memcpy(buffer_ + NLMSG_HDRLEN, body, body_length);
    header()->nlmsg_len = NLMSG_LENGTH(body_length);
  }

  void add_attribute(std::uint16_t type, const void* data, std::size_t length) {
    std::size_t offset = NLMSG_ALIGN(header()->nlmsg_len);
    auto* rta = reinterpret_cast<rtattr*>(buffer_ + offset);
    rta->rta_type = type;
    rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(length));
    std::memcpy(RTA_DATA(rta), data, length);
    header()->nlmsg_len = static_cast<std::uint32_t>(offset + RTA_ALIGN(rta->rta_len));
  }

  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_); }
  std::size_t length() { return header()->nlmsg_len; }

 private:
  alignas(nlmsghdr) std::uint8_t buffer_[512] = {};
};

std::uint8_t family_of(const IpAddress& a) {
  return a.is_v4() ? AF_INET : AF_INET6;
}

}  // namespace

Result<RtNetlink> RtNetlink::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno_error(errno, "cannot open an rtnetlink socket");
  // The kernel answers immediately; the timeout only keeps a kernel bug from
  // hanging the daemon.
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    int err = errno;
    ::close(fd);
    return errno_error(err, "cannot bind an rtnetlink socket");
  }
  return RtNetlink(fd);
}

RtNetlink::RtNetlink(RtNetlink&& other) noexcept : fd_(other.fd_), sequence_(other.sequence_) {
  other.fd_ = -1;
}

RtNetlink::~RtNetlink() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> RtNetlink::transact(void* message, std::size_t length, std::string_view what) {
  auto* header = static_cast<nlmsghdr*>(message);
  header->nlmsg_seq = ++sequence_;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, message, length, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return errno_error(errno, what);
  alignas(nlmsghdr) std::uint8_t reply[8192];
  for (;;) {
    ssize_t n = ::recv(fd_, reply, sizeof reply, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, std::string(what) + " (waiting for the kernel's answer)");
    }
    int remaining = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(h, remaining); h = NLMSG_NEXT(h, remaining)) {
      if (h->nlmsg_seq != sequence_ || h->nlmsg_type != NLMSG_ERROR) continue;
      auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
      if (err->error == 0) return {};
      return errno_error(-err->error, what);
    }
  }
}

Result<void> RtNetlink::set_mtu(int ifindex, int mtu, std::string_view what) {
  ifinfomsg body{};
  body.ifi_family = AF_UNSPEC;
  body.ifi_index = ifindex;
  Request request(RTM_NEWLINK, 0, &body, sizeof body);
  std::uint32_t value = static_cast<std::uint32_t>(mtu);
  request.add_attribute(IFLA_MTU, &value, sizeof value);
  return transact(request.header(), request.length(), what);
}

Result<void> RtNetlink::set_up(int ifindex, std::string_view what) {
  ifinfomsg body{};
  body.ifi_family = AF_UNSPEC;
  body.ifi_index = ifindex;
  body.ifi_flags = IFF_UP;
  body.ifi_change = IFF_UP;
  Request request(RTM_NEWLINK, 0, &body, sizeof body);
  return transact(request.header(), request.length(), what);
}

Result<void> RtNetlink::add_address(int ifindex, const IpPrefix& prefix, std::string_view what) {
  const IpAddress& a = prefix.address();
  ifaddrmsg body{};
  body.ifa_family = family_of(a);
  body.ifa_prefixlen = static_cast<std::uint8_t>(prefix.length());
  // Without NODAD an IPv6 address stays "tentative" (unusable for binding)
  // for a second or more while duplicate detection runs on a point-to-point
  // tunnel where no duplicate can exist.
  body.ifa_flags = a.is_v6() ? IFA_F_NODAD : 0;
  body.ifa_scope = RT_SCOPE_UNIVERSE;
  body.ifa_index = static_cast<std::uint32_t>(ifindex);
  // REPLACE keeps re-configuring an existing interface idempotent.
  Request request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &body, sizeof body);
  request.add_attribute(IFA_LOCAL, a.bytes(), a.size());
  request.add_attribute(IFA_ADDRESS, a.bytes(), a.size());
  return transact(request.header(), request.length(), what);
}

Result<void> RtNetlink::add_route(int ifindex, const IpPrefix& prefix, std::string_view what) {
  IpPrefix network = prefix.network();
  rtmsg body{};
  body.rtm_family = family_of(network.address());
  body.rtm_dst_len = static_cast<std::uint8_t>(network.length());
  body.rtm_table = RT_TABLE_MAIN;
  body.rtm_protocol = RTPROT_BOOT;
  body.rtm_scope = RT_SCOPE_LINK;
  body.rtm_type = RTN_UNICAST;
  // REPLACE: the kernel already adds a route for each address's own subnet,
  // and "route this prefix through the tunnel" is what the caller wants
  // whether or not some route for it exists.
  Request request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &body, sizeof body);
  request.add_attribute(RTA_DST, network.address().bytes(), network.address().size());
  std::uint32_t oif = static_cast<std::uint32_t>(ifindex);
  request.add_attribute(RTA_OIF, &oif, sizeof oif);
  return transact(request.header(), request.length(), what);
}

}  // namespace tether::posix
