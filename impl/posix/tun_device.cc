#include "posix/tun_device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "posix/rtnetlink.h"
#include "posix/socket_error.h"

namespace tether::posix {
namespace {

// Larger than any MTU the interface can be given (someone may raise it with
// `ip link` behind our back), so a read never truncates a packet.
constexpr std::size_t kPacketBufferSize = 65536;
// Packets handled per readiness event before other work gets a turn.
constexpr int kReadBudget = 64;

std::string in_quotes(const std::string& name) {
  return "'" + name + "'";
}

struct TunState : std::enable_shared_from_this<TunState> {
  TunState(boost::asio::io_context& io, int fd, Logger l)
      : descriptor(io, fd), log(std::move(l)), buffer(kPacketBufferSize) {}

  boost::asio::posix::stream_descriptor descriptor;
  Logger log;
  std::vector<std::uint8_t> buffer;
  TunnelDevice::PacketHandler handler;
  TunnelDevice::PacketHandler replacement;
  bool replacing = false;
  bool dispatching = false;
  bool closed = false;

  void wait_readable() {
    descriptor.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                          [self = shared_from_this()](const boost::system::error_code& ec) {
                            if (self->closed || ec) return;
                            self->drain();
                          });
  }

  // Asio's reactor is edge-triggered, so each wake-up reads until EAGAIN or
  // hands the rest to a posted continuation (see udp_socket.cc).
  void drain() {
    for (int i = 0; i < kReadBudget; ++i) {
      ssize_t n = ::read(descriptor.native_handle(), buffer.data(), buffer.size());
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_readable();
        if (errno == EINTR) continue;
        // The interface was deleted under us (`ip link del`) or the like:
        // the descriptor stays readable-with-error forever, so retrying
        // would spin. The device is dead; say so once and stop reading.
        log.error(std::string("TUN read failed, no longer reading: ") + std::strerror(errno));
        return;
      }
      if (handler) {
        dispatching = true;
        handler(ByteView(buffer.data(), static_cast<std::size_t>(n)));
        dispatching = false;
        if (replacing) {
          replacing = false;
          handler = std::move(replacement);
          replacement = nullptr;
        }
      }
      if (closed) return;
    }
    boost::asio::post(descriptor.get_executor(), [self = shared_from_this()] {
      if (!self->closed) self->drain();
    });
  }
};

class TunDevice final : public TunnelDevice {
 public:
  TunDevice(std::shared_ptr<TunState> state, std::string name, int ifindex, int mtu)
      : state_(std::move(state)), name_(std::move(name)), ifindex_(ifindex), mtu_(mtu) {}

  // Closing the descriptor of a non-persistent TUN device makes the kernel
  // remove the interface, with its addresses and routes.
  ~TunDevice() override {
    state_->closed = true;
    boost::system::error_code ignored;
    state_->descriptor.close(ignored);
  }

  const std::string& name() const override { return name_; }
  int mtu() const override { return mtu_; }

  void set_packet_handler(PacketHandler handler) override {
    if (state_->dispatching) {
      state_->replacement = std::move(handler);
      state_->replacing = true;
    } else {
      state_->handler = std::move(handler);
    }
  }

  Result<void> write_packet(ByteView ip_packet) override {
    for (;;) {
      ssize_t n = ::write(state_->descriptor.native_handle(), ip_packet.data(), ip_packet.size());
      if (n >= 0) return {};
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return Error(ErrorCode::io, "TUN device " + in_quotes(name_) + " queue full, packet dropped");
      return errno_error(errno, "cannot write a " + std::to_string(ip_packet.size()) + "-byte packet to " +
                                    in_quotes(name_));
    }
  }

  Result<void> add_route(const IpPrefix& prefix) override {
    const std::string what = "cannot add route " + prefix.network().to_string() + " via " + in_quotes(name_);
    auto netlink = RtNetlink::open();
    if (!netlink) return Error(netlink.error().code, what + ": " + netlink.error().message);
    return netlink->add_route(ifindex_, prefix, what);
  }

 private:
  std::shared_ptr<TunState> state_;
  std::string name_;
  int ifindex_;
  int mtu_;
};

}  // namespace

Result<std::unique_ptr<TunnelDevice>> open_tun_device(boost::asio::io_context& io,
                                                      const TunnelDeviceConfig& config, const Logger& log) {
  const std::string name = in_quotes(config.name);
  if (config.name.empty() || config.name.size() >= IFNAMSIZ)
    return Error(ErrorCode::invalid_argument, "cannot create TUN device " + name + ": a name needs 1 to " +
                                                  std::to_string(IFNAMSIZ - 1) + " characters");
  if (config.mtu < 68 || config.mtu > 65535)
    return Error(ErrorCode::invalid_argument, "cannot create TUN device " + name + ": MTU " +
                                                  std::to_string(config.mtu) + " is out of range");

  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    std::string hint = (err == EPERM || err == EACCES) ? " (needs root or CAP_NET_ADMIN)"
                       : err == ENOENT                 ? " (is the tun module loaded?)"
                                                       : "";
    return Error(error_code_for_errno(err),
                 "cannot create TUN device " + name + ": /dev/net/tun: " + std::strerror(err) + hint);
  }
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, config.name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, TUNSETIFF, &request) < 0) {
    int err = errno;
    ::close(fd);
    std::string hint = (err == EPERM || err == EACCES) ? " (needs root or CAP_NET_ADMIN)"
                       : err == EBUSY                  ? " (the interface exists and is in use)"
                                                       : "";
    return Error(error_code_for_errno(err),
                 "cannot create TUN device " + name + ": " + std::strerror(err) + hint);
  }
  // Only now may epoll see the descriptor: polling a TUN file that is not
  // yet attached to an interface reports an error without registering for
  // wake-ups, and epoll would never report a packet. From here on the state
  // owns fd, so every failure below closes it (and the kernel removes the
  // half-configured interface).
  auto state = std::make_shared<TunState>(io, fd, log);
  std::string actual_name(request.ifr_name, ::strnlen(request.ifr_name, IFNAMSIZ));
  const std::string iface = in_quotes(actual_name);
  int ifindex = static_cast<int>(::if_nametoindex(actual_name.c_str()));
  if (ifindex == 0) return errno_error(errno, "cannot find the index of TUN device " + iface);

  auto netlink = RtNetlink::open();
  if (!netlink)
    return Error(netlink.error().code,
                 "cannot configure TUN device " + iface + ": " + netlink.error().message);
  // MTU first: IPv6 refuses addresses on a link whose MTU is below 1280,
  // and the default TUN MTU (1500) may differ from the one asked for.
  auto r =
      netlink->set_mtu(ifindex, config.mtu, "cannot set MTU " + std::to_string(config.mtu) + " on " + iface);
  if (!r) return r.error();
  for (const IpPrefix& prefix : config.addresses) {
    r = netlink->add_address(ifindex, prefix, "cannot add address " + prefix.to_string() + " to " + iface);
    if (!r) return r.error();
  }
  r = netlink->set_up(ifindex, "cannot bring " + iface + " up");
  if (!r) return r.error();

  state->wait_readable();
  log.info("TUN device " + iface + " up, MTU " + std::to_string(config.mtu));
  return std::unique_ptr<TunnelDevice>(
      std::make_unique<TunDevice>(std::move(state), std::move(actual_name), ifindex, config.mtu));
}

}  // namespace tether::posix
