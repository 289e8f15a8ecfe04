#pragma once
// Outages of a point-to-point link as real ones look from the hosts: every
// packet in either direction vanishes, and nothing tells IP about it (no
// carrier loss, no ICMP; ns-3's PointToPoint links never go down by
// themselves, and Ipv4::SetDown would be a local admin action, visible to
// routing). Each end's receive error model blackholes while the link is
// down; otherwise it leaves the packet to the link's loss model, if any.
//
// A packet already on the wire when the link goes down is lost if it would
// arrive during the outage; one sent just before the link comes back and
// arriving after it is delivered.

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include <ns3/error-model.h>
#include <ns3/point-to-point-net-device.h>

#include "core/time.h"
#include "sim/host/node_loop.h"

namespace tether::sim {

class LinkErrorModel : public ns3::ErrorModel {
 public:
  static ns3::TypeId GetTypeId();

  void set_blackhole(bool on) { blackhole_ = on; }
  bool blackhole() const { return blackhole_; }
  // Loss outside outages (a RateErrorModel per packet); null: none.
  void set_loss(ns3::Ptr<ns3::ErrorModel> loss) { loss_ = std::move(loss); }
  ns3::Ptr<ns3::ErrorModel> loss() const { return loss_; }

  std::uint64_t blackholed() const { return blackholed_; }
  std::uint64_t lost() const { return lost_; }

 protected:
  void DoDispose() override;

 private:
  bool DoCorrupt(ns3::Ptr<ns3::Packet> p) override;
  void DoReset() override;

  bool blackhole_ = false;
  ns3::Ptr<ns3::ErrorModel> loss_;
  std::uint64_t blackholed_ = 0;
  std::uint64_t lost_ = 0;
};

class LinkOutage {
 public:
  using StateHandler = std::function<void(bool up)>;

  // Installs a LinkErrorModel on both ends, taking over an error model
  // either end already had as its loss model.
  LinkOutage(ns3::Ptr<ns3::PointToPointNetDevice> a, ns3::Ptr<ns3::PointToPointNetDevice> b);
  ~LinkOutage();
  LinkOutage(const LinkOutage&) = delete;
  LinkOutage& operator=(const LinkOutage&) = delete;

  // Both are no-ops in the state they ask for.
  void down();
  void up();
  bool is_down() const { return down_; }

  // Down `after` from now, for `length`.
  void schedule_outage(Duration after, Duration length);
  // Down for `length` every `period`, the first `first` from now, `count`
  // times (0: until the simulation ends).
  void schedule_flaps(Duration first, Duration period, Duration length, std::uint32_t count = 0);

  // Called on every change, after it. Returns an id for remove_state_handler.
  std::uint64_t add_state_handler(StateHandler handler);
  void remove_state_handler(std::uint64_t id) { handlers_.erase(id); }

  // Packets dropped by outages, both directions.
  std::uint64_t blackholed_packets() const;
  // Packets dropped by the loss model, both directions.
  std::uint64_t lost_packets() const;
  // Outage time so far, the current one included.
  Duration total_down_time() const;
  std::uint64_t outages() const { return outages_; }

  ns3::Ptr<ns3::PointToPointNetDevice> device(std::size_t end) const { return ends_[end].device; }

 private:
  struct End {
    ns3::Ptr<ns3::PointToPointNetDevice> device;
    ns3::Ptr<LinkErrorModel> model;
  };
  void set(bool down);
  void flap(Duration period, Duration length, std::uint32_t left);

  End ends_[2];
  NodeLoop loop_;
  bool down_ = false;
  Time down_since_;
  Duration down_before_;
  std::uint64_t outages_ = 0;
  std::uint64_t next_handler_ = 1;
  std::map<std::uint64_t, StateHandler> handlers_;
  std::vector<NodeLoop::Event> scheduled_;
};

}  // namespace tether::sim
