#include "sim/world/link_outage.h"

#include <algorithm>

#include <ns3/pointer.h>

namespace tether::sim {

ns3::TypeId LinkErrorModel::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("tether::sim::LinkErrorModel")
                               .SetParent<ns3::ErrorModel>()
                               .SetGroupName("Tether")
                               .AddConstructor<LinkErrorModel>();
  return tid;
}

bool LinkErrorModel::DoCorrupt(ns3::Ptr<ns3::Packet> p) {
  if (blackhole_) {
    ++blackholed_;
    return true;
  }
  if (loss_ && loss_->IsCorrupt(p)) {
    ++lost_;
    return true;
  }
  return false;
}

void LinkErrorModel::DoReset() {
  if (loss_) loss_->Reset();
}

void LinkErrorModel::DoDispose() {
  loss_ = nullptr;
  ns3::ErrorModel::DoDispose();
}

LinkOutage::LinkOutage(ns3::Ptr<ns3::PointToPointNetDevice> a, ns3::Ptr<ns3::PointToPointNetDevice> b)
    : loop_(a->GetNode()) {
  ends_[0].device = std::move(a);
  ends_[1].device = std::move(b);
  for (End& end : ends_) {
    end.model = ns3::CreateObject<LinkErrorModel>();
    ns3::PointerValue existing;
    end.device->GetAttribute("ReceiveErrorModel", existing);
    if (auto loss = existing.Get<ns3::ErrorModel>()) end.model->set_loss(loss);
    end.device->SetReceiveErrorModel(end.model);
  }
}

LinkOutage::~LinkOutage() = default;

void LinkOutage::set(bool down) {
  if (down == down_) return;
  down_ = down;
  for (End& end : ends_) end.model->set_blackhole(down);
  const Time now = NodeLoop::now();
  if (down) {
    down_since_ = now;
    ++outages_;
  } else {
    down_before_ += now - down_since_;
  }
  // A copy: a handler may add or remove handlers.
  auto handlers = handlers_;
  for (const auto& [id, handler] : handlers) handler(!down);
}

void LinkOutage::down() { set(true); }
void LinkOutage::up() { set(false); }

void LinkOutage::schedule_outage(Duration after, Duration length) {
  scheduled_.push_back(loop_.schedule(after, [this] { down(); }));
  scheduled_.push_back(loop_.schedule(after + length, [this] { up(); }));
}

void LinkOutage::schedule_flaps(Duration first, Duration period, Duration length, std::uint32_t count) {
  scheduled_.push_back(loop_.schedule(first, [this, period, length, count] { flap(period, length, count); }));
}

void LinkOutage::flap(Duration period, Duration length, std::uint32_t left) {
  // Past events are done; keep the list from growing for ever.
  scheduled_.erase(std::remove_if(scheduled_.begin(), scheduled_.end(),
                                  [](const NodeLoop::Event& e) { return !e.pending(); }),
                   scheduled_.end());
  down();
  scheduled_.push_back(loop_.schedule(length, [this] { up(); }));
  if (left == 1) return;
  const std::uint32_t next_left = left == 0 ? 0 : left - 1;
  scheduled_.push_back(
      loop_.schedule(period, [this, period, length, next_left] { flap(period, length, next_left); }));
}

std::uint64_t LinkOutage::add_state_handler(StateHandler handler) {
  const std::uint64_t id = next_handler_++;
  handlers_.emplace(id, std::move(handler));
  return id;
}

std::uint64_t LinkOutage::blackholed_packets() const {
  return ends_[0].model->blackholed() + ends_[1].model->blackholed();
}

std::uint64_t LinkOutage::lost_packets() const { return ends_[0].model->lost() + ends_[1].model->lost(); }

Duration LinkOutage::total_down_time() const {
  return down_ ? down_before_ + (NodeLoop::now() - down_since_) : down_before_;
}

}  // namespace tether::sim
