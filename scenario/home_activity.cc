#include "scenario/home_activity.h"

#include <vector>

namespace tether::scenario {

HomeActivity::HomeActivity(Host& host, const HomeActivitySpec& spec) : host_(host), spec_(spec) {}

HomeActivity::~HomeActivity() {
  timer_.reset();
  socket_.reset();
}

void HomeActivity::start() {
  if (spec_.interval <= Duration::zero()) return;
  first_ = host_.now() + spec_.start;
  timer_ = host_.create_timer([this] {
    send();
    timer_->arm_at(first_ + spec_.interval * std::int64_t(sent_));
  });
  timer_->arm_at(first_);
}

void HomeActivity::send() {
  ++sent_;
  if (!socket_) {
    auto s = host_.udp_bind(Endpoint(*IpAddress::parse("0.0.0.0"), 0));
    if (!s.ok()) {
      if (on_sent) on_sent("bind: " + s.error().to_string());
      return;
    }
    socket_ = std::move(*s);
    socket_->set_receive_handler([](const Endpoint&, ByteView) {});
  }
  std::vector<std::uint8_t> payload(spec_.size, 0);
  if (!payload.empty()) payload[0] = 0x23;  // an NTP v4 client poll's first byte
  auto r = socket_->send_to(spec_.to, ByteView(payload.data(), payload.size()));
  if (on_sent) on_sent(spec_.to.to_string() + (r.ok() ? "" : " " + r.error().to_string()));
}

}  // namespace tether::scenario
