#include "support/manual_world.h"

#include "support/manual_host.h"

namespace tether::testing {

ManualWorld::EventId ManualWorld::schedule(Time at, std::function<void()> fn) {
  if (at < now_) at = now_;
  EventId id = next_id_++;
  Key key{at.ns(), id};
  queue_.emplace(key, std::make_pair(id, std::move(fn)));
  events_by_id_.emplace(id, key);
  return id;
}

void ManualWorld::cancel(EventId id) {
  auto it = events_by_id_.find(id);
  if (it == events_by_id_.end()) return;
  queue_.erase(it->second);
  events_by_id_.erase(it);
}

bool ManualWorld::step() {
  if (queue_.empty()) return false;
  auto it = queue_.begin();
  now_ = Time::from_ns(std::get<0>(it->first));
  auto fn = std::move(it->second.second);
  events_by_id_.erase(it->second.first);
  queue_.erase(it);
  fn();
  return true;
}

void ManualWorld::run_until(Time deadline) {
  while (!queue_.empty() && std::get<0>(queue_.begin()->first) <= deadline.ns()) step();
  if (now_ < deadline) now_ = deadline;
}

bool ManualWorld::run_until(const std::function<bool()>& done, Duration limit) {
  Time deadline = now_ + limit;
  while (!done()) {
    if (queue_.empty() || std::get<0>(queue_.begin()->first) > deadline.ns()) {
      if (now_ < deadline) now_ = deadline;
      return done();
    }
    step();
  }
  return true;
}

ManualHost* ManualWorld::host_for(const IpAddress& address, ManualHost* from) const {
  if (address.is_loopback()) return from;
  for (ManualHost* h : hosts_)
    if (h->owns_address(address)) return h;
  return nullptr;
}

void ManualWorld::attach(ManualHost* host) { hosts_.insert(host); }
void ManualWorld::detach(ManualHost* host) { hosts_.erase(host); }

}  // namespace tether::testing
