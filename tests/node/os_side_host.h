#pragma once
// A Host that forwards everything to another one and lets a test play the
// operating system behind the tunnel devices opened through it: it sees
// every packet the app writes into a device (what the OS would receive) and
// can hand packets to the app as if the OS had routed them into the device
// (a local process pinging through the tunnel). ManualHost's own tunnel OS
// can only answer packets, never start a conversation, and the app must
// run against the Host interface untouched, so the tap sits in between.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/host.h"

namespace tether::testing {

class OsSideHost : public Host {
 public:
  // What the OS side of one tunnel device saw and can do.
  class Os {
   public:
    // Called with every packet the app delivers to the OS, from the loop.
    std::function<void(ByteView packet)> on_packet;
    std::vector<Bytes> delivered;
    std::vector<IpPrefix> routes;
    TunnelDeviceConfig config;
    bool open = false;

    // Hands `packet` to the app from the loop (never inside this call), as
    // a TUN read would.
    void inject(ByteView packet);

   private:
    friend class OsSideHost;
    Host* host_ = nullptr;
    std::shared_ptr<TunnelDevice::PacketHandler> handler_;
  };

  explicit OsSideHost(Host& inner) : inner_(inner) {}

  // The OS side of the device named `name`; exists from the first open.
  Os& os(const std::string& name) { return *os_[name]; }
  bool has_device(const std::string& name) const { return os_.count(name) != 0; }

  Time now() const override { return inner_.now(); }
  WallTime wall_now() const override { return inner_.wall_now(); }
  std::unique_ptr<Timer> create_timer(std::function<void()> on_fire) override {
    return inner_.create_timer(std::move(on_fire));
  }
  void post(std::function<void()> fn) override { inner_.post(std::move(fn)); }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    inner_.run_blocking(std::move(work), std::move(done));
  }
  Result<std::unique_ptr<UdpSocket>> udp_bind(const Endpoint& local) override { return inner_.udp_bind(local); }
  Result<std::unique_ptr<TcpListener>> tcp_listen(
      const Endpoint& local, std::function<void(std::unique_ptr<TcpStream>)> on_accept,
      const TcpListenOptions& options = {}) override {
    return inner_.tcp_listen(local, std::move(on_accept), options);
  }
  std::unique_ptr<TcpStream> tcp_connect(const Endpoint& remote, TcpStream::Handlers handlers,
                                         const TcpConnectOptions& options) override {
    return inner_.tcp_connect(remote, std::move(handlers), options);
  }
  Result<std::unique_ptr<TunnelDevice>> open_tunnel(const TunnelDeviceConfig& config) override;
  const std::filesystem::path& storage_root() const override { return inner_.storage_root(); }
  const Durability& durability() const override { return inner_.durability(); }
  std::unique_ptr<DnsLookup> dns_lookup(const std::string& name, DnsRecordType type,
                                        std::function<void(Result<DnsAnswer>)> on_answer) override {
    return inner_.dns_lookup(name, type, std::move(on_answer));
  }
  void random_bytes(MutableByteView out) override { inner_.random_bytes(out); }
  const std::string& hostname() const override { return inner_.hostname(); }
  const Logger& logger() const override { return inner_.logger(); }

 private:
  Host& inner_;
  std::map<std::string, std::unique_ptr<Os>> os_;
};

}  // namespace tether::testing
