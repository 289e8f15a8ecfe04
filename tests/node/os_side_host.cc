#include "node/os_side_host.h"

namespace tether::testing {
namespace {

// Forwards to the real device, and reports what the app writes to the Os.
class TappedDevice : public TunnelDevice {
 public:
  TappedDevice(std::unique_ptr<TunnelDevice> inner, OsSideHost::Os& os, Host& host,
               std::shared_ptr<PacketHandler> handler)
      : inner_(std::move(inner)), os_(os), host_(host), handler_(std::move(handler)) {}
  ~TappedDevice() override {
    *handler_ = nullptr;  // destruction ends callbacks, injected ones too
    os_.open = false;
  }
  const std::string& name() const override { return inner_->name(); }
  int mtu() const override { return inner_->mtu(); }
  void set_packet_handler(PacketHandler handler) override {
    *handler_ = handler;
    inner_->set_packet_handler(std::move(handler));
  }
  Result<void> write_packet(ByteView packet) override {
    auto written = inner_->write_packet(packet);
    if (!written) return written;
    // The OS takes the packet from the loop, like a kernel would.
    Bytes copy = packet.to_bytes();
    OsSideHost::Os* os = &os_;
    std::weak_ptr<PacketHandler> alive = handler_;
    host_.post([os, alive, copy = std::move(copy)] {
      if (alive.expired()) return;
      os->delivered.push_back(copy);
      if (os->on_packet) os->on_packet(ByteView(copy));
    });
    return {};
  }
  Result<void> add_route(const IpPrefix& prefix) override {
    auto added = inner_->add_route(prefix);
    if (added) os_.routes.push_back(prefix);
    return added;
  }

 private:
  std::unique_ptr<TunnelDevice> inner_;
  OsSideHost::Os& os_;
  Host& host_;
  std::shared_ptr<PacketHandler> handler_;
};

}  // namespace

void OsSideHost::Os::inject(ByteView packet) {
  std::weak_ptr<TunnelDevice::PacketHandler> weak = handler_;
  host_->post([weak, copy = packet.to_bytes()] {
    auto handler = weak.lock();
    if (handler && *handler) (*handler)(ByteView(copy));
  });
}

Result<std::unique_ptr<TunnelDevice>> OsSideHost::open_tunnel(const TunnelDeviceConfig& config) {
  auto opened = inner_.open_tunnel(config);
  if (!opened) return opened;
  auto& slot = os_[config.name];
  if (!slot) slot = std::make_unique<Os>();
  slot->config = config;
  slot->routes.clear();
  slot->open = true;
  slot->host_ = this;
  slot->handler_ = std::make_shared<TunnelDevice::PacketHandler>();
  return std::unique_ptr<TunnelDevice>(std::make_unique<TappedDevice>(std::move(*opened), *slot, *this, slot->handler_));
}

}  // namespace tether::testing
