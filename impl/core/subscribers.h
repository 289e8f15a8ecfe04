#pragma once
// A list of event handlers, for the node apps' subscribe()/unsubscribe().
// emit() is safe against what a handler may do from inside it: unsubscribe
// itself or another handler (a removed handler is not called again),
// subscribe a new one (it hears the next event, not this one), or destroy
// the list's owner and so the list (emit() then stops and says so).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace tether {

template <typename Event>
class Subscribers {
 public:
  using Handler = std::function<void(const Event&)>;
  using Id = std::uint64_t;

  Subscribers() = default;
  // Not copyable: a copy would outlive the handlers' promises to its owner.
  Subscribers(const Subscribers&) = delete;
  Subscribers& operator=(const Subscribers&) = delete;

  Id subscribe(Handler handler) {
    const Id id = next_id_++;
    handlers_.emplace(id, std::move(handler));
    return id;
  }
  void unsubscribe(Id id) { handlers_.erase(id); }
  bool empty() const { return handlers_.empty(); }

  // Calls each handler subscribed when emit() starts, in subscription order,
  // unless it was unsubscribed meanwhile. Returns false when a handler
  // destroyed the list (its owner must then touch none of its members), or
  // when `keep_going()`, asked after each handler, said to stop.
  template <typename KeepGoing>
  bool emit(const Event& event, KeepGoing&& keep_going) {
    if (handlers_.empty()) return true;
    std::weak_ptr<bool> alive = alive_;
    std::vector<Id> ids;
    ids.reserve(handlers_.size());
    for (const auto& entry : handlers_) ids.push_back(entry.first);
    for (Id id : ids) {
      auto it = handlers_.find(id);
      if (it == handlers_.end()) continue;
      Handler handler = it->second;  // a copy: it may unsubscribe itself
      handler(event);
      if (alive.expired() || !keep_going()) return false;
    }
    return true;
  }
  bool emit(const Event& event) {
    return emit(event, [] { return true; });
  }

 private:
  std::map<Id, Handler> handlers_;
  Id next_id_ = 1;
  // Gone with the list: emit() checks it after each handler.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tether
